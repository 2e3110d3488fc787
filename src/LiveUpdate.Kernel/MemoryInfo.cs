// MemoryInfo: /proc/meminfo as bytes per field (MemTotal, Shmem, ShmemHugePages, ...), so the
// blackout advisor can tell how much shared memory sits in 4 KiB pages and how much in THP.
using System.Globalization;

namespace LiveUpdate.Kernel;

public sealed class MemoryInfo
{
    public const string ProcPath = "/proc/meminfo";

    private readonly Dictionary<string, ulong> _bytes;

    private MemoryInfo(Dictionary<string, ulong> bytes) => _bytes = bytes;

    /// <summary>"MemTotal:  3063112 kB" lines → bytes by field name; fields without a kB unit are kept as counts.</summary>
    public static MemoryInfo Parse(string text)
    {
        var bytes = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || !fields[0].EndsWith(':')) continue;
            if (!ulong.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out ulong value)) continue;
            bytes[fields[0][..^1]] = fields.Length > 2 && fields[2] == "kB" ? value * 1024 : value;
        }
        return new MemoryInfo(bytes);
    }

    /// <summary>The running kernel's /proc/meminfo; null when it cannot be read.</summary>
    public static MemoryInfo? TryReadRunning(string path = ProcPath)
    {
        try { return File.Exists(path) ? Parse(File.ReadAllText(path)) : null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>The field in bytes (kB fields converted), null when absent.</summary>
    public ulong? Bytes(string field) => _bytes.TryGetValue(field, out ulong value) ? value : null;
}
