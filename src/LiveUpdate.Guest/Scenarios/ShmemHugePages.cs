// ShmemHugePages: the benchmark's page mode: sets shmem's transparent hugepage policy (which
// memfds follow) to "never" for 4 KiB pages or "always" for large folios, and reads
// ShmemHugePages from /proc/meminfo, the proof of how much shmem sits in huge pages.
namespace LiveUpdate.Guest.Scenarios;

public static class ShmemHugePages
{
    public const string PolicyPath = "/sys/kernel/mm/transparent_hugepage/shmem_enabled";

    /// <summary>"4k" → never, "thp" → always; throws when the kernel has no shmem THP.</summary>
    public static void SetMode(string mode)
    {
        string policy = mode switch
        {
            "4k" => "never",
            "thp" => "always",
            _ => throw new ArgumentException($"unknown page mode '{mode}'", nameof(mode)),
        };
        if (!File.Exists(PolicyPath))
            throw new InvalidOperationException($"{PolicyPath} is missing: the kernel has no transparent hugepages for shmem (CONFIG_TRANSPARENT_HUGEPAGE)");
        File.WriteAllText(PolicyPath, policy);
    }

    /// <summary>The policy as the kernel shows it, the selected one in brackets (e.g. "always within_size advise [never] deny force").</summary>
    public static string Policy => File.Exists(PolicyPath) ? File.ReadAllText(PolicyPath).Trim() : "absent";

    /// <summary>ShmemHugePages from /proc/meminfo in KiB (0 when absent).</summary>
    public static long Kib()
    {
        foreach (string line in File.ReadLines("/proc/meminfo"))
            if (line.StartsWith("ShmemHugePages:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
        return 0;
    }
}
