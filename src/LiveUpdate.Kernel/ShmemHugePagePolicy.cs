// ShmemHugePagePolicy: /sys/kernel/mm/transparent_hugepage/shmem_enabled — whether shmem and
// memfd pages come as 2 MiB folios (THP) or 4 KiB pages. Preserved memfds cost far less to
// retrieve in the next kernel with large folios (docs/benchmarks.md), so it is a blackout lever.
namespace LiveUpdate.Kernel;

public enum ShmemHugePages
{
    /// <summary>Always 2 MiB folios where they fit.</summary>
    Always,

    /// <summary>Huge folios only within i_size (a memfd sized before it is written gets them).</summary>
    WithinSize,

    /// <summary>Only for mappings with madvise(MADV_HUGEPAGE).</summary>
    Advise,

    /// <summary>4 KiB pages (the default).</summary>
    Never,

    /// <summary>Never, and not even for mounts asking for huge=.</summary>
    Deny,

    /// <summary>Forced on for every shmem mount (testing).</summary>
    Force,
}

public static class ShmemHugePagePolicy
{
    public const string SysfsPath = "/sys/kernel/mm/transparent_hugepage/shmem_enabled";

    /// <summary>"always within_size advise [never] deny force" → Never; null when nothing is selected.</summary>
    public static ShmemHugePages? TryParse(string text)
    {
        int open = text.IndexOf('['), close = text.IndexOf(']');
        if (open < 0 || close <= open) return null;
        return text[(open + 1)..close] switch
        {
            "always" => ShmemHugePages.Always,
            "within_size" => ShmemHugePages.WithinSize,
            "advise" => ShmemHugePages.Advise,
            "never" => ShmemHugePages.Never,
            "deny" => ShmemHugePages.Deny,
            "force" => ShmemHugePages.Force,
            _ => null,
        };
    }

    /// <summary>The running kernel's policy; null when the kernel has no shmem THP (no such file) or it cannot be read.</summary>
    public static ShmemHugePages? TryReadRunning(string path = SysfsPath)
    {
        try { return File.Exists(path) ? TryParse(File.ReadAllText(path)) : null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>The value written to the sysfs file for <paramref name="policy"/>.</summary>
    public static string SysfsValue(ShmemHugePages policy) => policy switch
    {
        ShmemHugePages.WithinSize => "within_size",
        _ => policy.ToString().ToLowerInvariant(),
    };
}
