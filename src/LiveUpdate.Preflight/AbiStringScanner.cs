// AbiStringScanner: finds the compatibility strings of the given components in a decompressed
// kernel. The kernel stores them as NUL-terminated C strings, either string literals in .rodata
// ("kho-v4", "luo-v5") or inline char arrays in handler structs in .data ("memfd-v2" inside
// struct liveupdate_file_handler). So a match is "<name>-v<digits>\0" whose preceding byte
// cannot belong to an identifier — "xmemfd-v2" or "foo-luo-v5" are not matches.
using System.Text;

namespace LiveUpdate.Preflight;

public static class AbiStringScanner
{
    /// <summary>Every distinct "<name>-vN" string of <paramref name="component"/> in <paramref name="kernel"/>.</summary>
    public static IReadOnlyList<string> Find(ReadOnlySpan<byte> kernel, AbiComponent component)
    {
        byte[] prefix = Encoding.ASCII.GetBytes(component.Name + "-v");
        var found = new SortedSet<string>(StringComparer.Ordinal);
        int from = 0;
        while (from < kernel.Length)
        {
            int hit = kernel[from..].IndexOf(prefix);
            if (hit < 0) break;
            int start = from + hit;
            from = start + 1;
            if (start > 0 && IsNameByte(kernel[start - 1])) continue;
            int digits = start + prefix.Length;
            int end = digits;
            while (end < kernel.Length && end - digits < 6 && kernel[end] is >= (byte)'0' and <= (byte)'9') end++;
            if (end == digits || end >= kernel.Length || kernel[end] != 0) continue;
            found.Add(Encoding.ASCII.GetString(kernel[start..end]));
        }
        return [.. found];
    }

    private static bool IsNameByte(byte b) =>
        b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9' or (byte)'-' or (byte)'_';
}
