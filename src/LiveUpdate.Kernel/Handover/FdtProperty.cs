// FdtProperty: one property of a flattened device tree node — its name (from the strings
// block) and its raw value. Display renders the value the way KHO writes it: strings when it
// is NUL-terminated printable text, and 8-byte values as the little-endian u64 KHO stores
// with fdt_setprop(&value, sizeof(u64)) (CPU order, not the FDT's big-endian cells).
using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace LiveUpdate.Kernel.Handover;

public sealed record FdtProperty(string Name, byte[] Value)
{
    /// <summary>The NUL-separated strings of the value, or null when it is not printable text.</summary>
    public IReadOnlyList<string>? Strings => DecodeStrings(Value);

    /// <summary>The value as KHO's native (little-endian) u64, null unless it is 8 bytes long.</summary>
    public ulong? NativeUInt64 => Value.Length == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(Value) : null;

    /// <summary>A one-line rendering: strings, a u64, a big-endian u32 cell, or hex bytes.</summary>
    public string Display => Strings is { } strings
        ? string.Join(", ", strings.Select(s => $"\"{s}\""))
        : NativeUInt64 is { } u64 ? $"0x{u64:x} (u64, native little-endian)"
        : Value.Length == 4 ? $"<0x{BinaryPrimitives.ReadUInt32BigEndian(Value):x}> (u32 cell)"
        : Value.Length == 0 ? "(empty)"
        : HexPreview(Value, 32);

    /// <summary>The first <paramref name="limit"/> bytes in hex, with the total when longer.</summary>
    public static string HexPreview(ReadOnlySpan<byte> bytes, int limit)
    {
        var text = new StringBuilder();
        for (int i = 0; i < Math.Min(bytes.Length, limit); i++)
        {
            if (i > 0) text.Append(' ');
            text.Append(bytes[i].ToString("x2", CultureInfo.InvariantCulture));
        }
        if (bytes.Length > limit) text.Append(CultureInfo.InvariantCulture, $" … ({bytes.Length} bytes)");
        return text.ToString();
    }

    private static IReadOnlyList<string>? DecodeStrings(byte[] value)
    {
        if (value.Length == 0 || value[^1] != 0) return null;
        var strings = new List<string>();
        int start = 0;
        for (int i = 0; i < value.Length; i++)
        {
            if (value[i] != 0) continue;
            if (i == start) return null; // empty string: not text
            strings.Add(Encoding.ASCII.GetString(value, start, i - start));
            start = i + 1;
        }
        foreach (byte b in value)
            if (b != 0 && (b < 0x20 || b > 0x7e)) return null;
        return strings;
    }
}
