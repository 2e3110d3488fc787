// KhoDebugfsState: what the running kernel has written to KHO, as debugfs shows it
// (CONFIG_KEXEC_HANDOVER_DEBUGFS, kernel/liveupdate/kexec_handover_debugfs.c):
// kho/out/fdt is the root FDT whose compatible is KHO_FDT_COMPATIBLE; kho/out/sub_fdts/<name>
// are the preserved subtrees (LUO's is a struct luo_ser starting with its compatible string);
// kho/out/scratch_len lists the scratch areas' sizes in hex, one per line.
using System.Globalization;
using System.Text;

namespace LiveUpdate.Preflight;

public sealed record KhoDebugfsState(string? KhoCompatible, string? LuoCompatible, IReadOnlyList<ulong> ScratchSizes)
{
    public const string DefaultDirectory = "/sys/kernel/debug/kho";

    public ulong ScratchTotal => ScratchSizes.Aggregate(0UL, (sum, size) => sum + size);

    /// <summary>Reads kho/out under <paramref name="khoDirectory"/>; null when it is not visible.</summary>
    public static KhoDebugfsState? TryRead(string khoDirectory = DefaultDirectory)
    {
        string outDirectory = Path.Combine(khoDirectory, "out");
        if (!Directory.Exists(outDirectory)) return null;
        string? kho = ReadBlob(Path.Combine(outDirectory, "fdt")) is { } root ? FlattenedDeviceTree.TryParse(root)?.RootCompatible() : null;
        string? luo = ReadBlob(Path.Combine(outDirectory, "sub_fdts", "LUO")) is { } luoBlob ? SubtreeCompatible(luoBlob) : null;
        var sizes = new List<ulong>();
        try
        {
            foreach (string line in File.ReadAllLines(Path.Combine(outDirectory, "scratch_len")))
            {
                string hex = line.Trim();
                if (hex.StartsWith("0x", StringComparison.Ordinal)
                    && ulong.TryParse(hex.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong size))
                    sizes.Add(size);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Unknown scratch; the check says so.
        }
        return new KhoDebugfsState(kho, luo, sizes);
    }

    /// <summary>The compatible of a subtree: an FDT's root compatible, or the leading C string of a raw ABI struct.</summary>
    public static string? SubtreeCompatible(byte[] blob)
    {
        if (FlattenedDeviceTree.TryParse(blob) is { } fdt) return fdt.RootCompatible();
        int end = Array.IndexOf(blob, (byte)0);
        if (end <= 0 || end > 64) return null;
        string text = Encoding.ASCII.GetString(blob, 0, end);
        return text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') ? text : null;
    }

    private static byte[]? ReadBlob(string path)
    {
        try { return File.Exists(path) ? File.ReadAllBytes(path) : null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
