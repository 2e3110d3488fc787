// FlattenedDeviceTree: a minimal reader of a flattened device tree blob (big-endian, magic
// 0xd00dfeed) — enough to read a node's "compatible" property. KHO hands its state over as
// FDTs, and debugfs (CONFIG_KEXEC_HANDOVER_DEBUGFS) shows them as kho/out/fdt and kho/in/fdt.
using System.Buffers.Binary;
using System.Text;

namespace LiveUpdate.Preflight;

public sealed class FlattenedDeviceTree
{
    public const uint Magic = 0xD00DFEED;
    private const uint BeginNode = 1, EndNode = 2, Prop = 3, Nop = 4, End = 9;

    private readonly byte[] _blob;
    private readonly int _structOffset, _stringsOffset;

    private FlattenedDeviceTree(byte[] blob, int structOffset, int stringsOffset)
    {
        _blob = blob;
        _structOffset = structOffset;
        _stringsOffset = stringsOffset;
    }

    public static bool LooksLikeFdt(ReadOnlySpan<byte> blob) =>
        blob.Length >= 40 && BinaryPrimitives.ReadUInt32BigEndian(blob) == Magic;

    /// <summary>Parses the header; null when <paramref name="blob"/> is not an FDT.</summary>
    public static FlattenedDeviceTree? TryParse(byte[] blob)
    {
        if (!LooksLikeFdt(blob)) return null;
        uint total = BinaryPrimitives.ReadUInt32BigEndian(blob.AsSpan(4));
        uint structOffset = BinaryPrimitives.ReadUInt32BigEndian(blob.AsSpan(8));
        uint stringsOffset = BinaryPrimitives.ReadUInt32BigEndian(blob.AsSpan(12));
        if (total > blob.Length || structOffset >= total || stringsOffset >= total) return null;
        return new FlattenedDeviceTree(blob, (int)structOffset, (int)stringsOffset);
    }

    /// <summary>The properties of the root node as name → raw value.</summary>
    public IReadOnlyDictionary<string, byte[]> RootProperties()
    {
        var properties = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        int at = _structOffset, depth = 0;
        while (at + 4 <= _blob.Length)
        {
            uint token = BinaryPrimitives.ReadUInt32BigEndian(_blob.AsSpan(at));
            at += 4;
            switch (token)
            {
                case BeginNode:
                    int nameEnd = Array.IndexOf(_blob, (byte)0, at);
                    if (nameEnd < 0) return properties;
                    at = Align(nameEnd + 1);
                    depth++;
                    break;
                case EndNode:
                    if (--depth <= 0) return properties;
                    break;
                case Prop:
                    if (at + 8 > _blob.Length) return properties;
                    int length = (int)BinaryPrimitives.ReadUInt32BigEndian(_blob.AsSpan(at));
                    int nameOffset = (int)BinaryPrimitives.ReadUInt32BigEndian(_blob.AsSpan(at + 4));
                    at += 8;
                    // A damaged tree (found by fuzzing): a value past the blob, or a name outside it, ends the walk.
                    if (length < 0 || (long)at + length > _blob.Length) return properties;
                    if (nameOffset < 0 || (long)_stringsOffset + nameOffset >= _blob.Length) return properties;
                    if (depth == 1) properties[CString(_stringsOffset + nameOffset)] = _blob.AsSpan(at, length).ToArray();
                    at = Align(at + length);
                    break;
                case Nop:
                    break;
                case End:
                default:
                    return properties;
            }
        }
        return properties;
    }

    /// <summary>The first string of the root node's "compatible" property, null when there is none.</summary>
    public string? RootCompatible() =>
        RootProperties().TryGetValue("compatible", out var value) ? FirstString(value) : null;

    private static string FirstString(byte[] value)
    {
        int end = Array.IndexOf(value, (byte)0);
        return Encoding.ASCII.GetString(value, 0, end < 0 ? value.Length : end);
    }

    private string CString(int offset)
    {
        if (offset < 0 || offset >= _blob.Length) return "";
        int end = Array.IndexOf(_blob, (byte)0, offset);
        return Encoding.ASCII.GetString(_blob, offset, (end < 0 ? _blob.Length : end) - offset);
    }

    private static int Align(int offset) => (offset + 3) & ~3;
}
