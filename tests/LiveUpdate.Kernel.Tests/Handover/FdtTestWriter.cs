// FdtTestWriter: writes a flattened device tree the way libfdt lays one out (header, an empty
// reservation map, structure block, strings block), from nested nodes with raw property values,
// to feed the FDT reader and a fake KHO debugfs in tests. KhoRoot builds the tree KHO itself
// writes (kho_out_fdt_setup + kho_add_subtree): u64 values in CPU (little-endian) order.
using System.Buffers.Binary;
using System.Text;
using LiveUpdate.Kernel.Handover;

namespace LiveUpdate.Kernel.Tests.Handover;

public sealed record TestNode(string Name, IReadOnlyList<(string Name, byte[] Value)> Properties, IReadOnlyList<TestNode> Children)
{
    public TestNode(string name, params (string Name, byte[] Value)[] properties) : this(name, properties, []) { }
}

public static class FdtTestWriter
{
    public static byte[] Str(string value) => Encoding.ASCII.GetBytes(value + "\0");

    public static byte[] U64(ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return bytes;
    }

    /// <summary>KHO's root tree: compatible, preserved-memory-map and one node per (name, phys, size) subtree.</summary>
    public static byte[] KhoRoot(string compatible, ulong memoryMap, params (string Name, ulong Phys, ulong Size)[] subtrees) =>
        Write(new TestNode("", [("compatible", Str(compatible)), ("preserved-memory-map", U64(memoryMap))],
            subtrees.Select(s => new TestNode(s.Name, ("preserved-data", U64(s.Phys)), ("blob-size", U64(s.Size)))).ToList()));

    public static byte[] Write(TestNode root, IReadOnlyList<(ulong Address, ulong Size)>? reservations = null, bool nopBeforeRoot = false)
    {
        var structure = new MemoryStream();
        var strings = new MemoryStream();
        var offsets = new Dictionary<string, int>();
        void Token(uint token) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32BigEndian(b, token); structure.Write(b); }
        void Pad() { while (structure.Length % 4 != 0) structure.WriteByte(0); }
        void Node(TestNode node)
        {
            Token(FlattenedDeviceTree.BeginNodeToken);
            structure.Write(Encoding.ASCII.GetBytes(node.Name + "\0"));
            Pad();
            foreach (var (name, value) in node.Properties)
            {
                if (!offsets.TryGetValue(name, out int offset))
                {
                    offset = (int)strings.Length;
                    offsets[name] = offset;
                    strings.Write(Encoding.ASCII.GetBytes(name + "\0"));
                }
                Token(FlattenedDeviceTree.PropToken); Token((uint)value.Length); Token((uint)offset);
                structure.Write(value);
                Pad();
            }
            foreach (var child in node.Children) Node(child);
            Token(FlattenedDeviceTree.EndNodeToken);
        }
        if (nopBeforeRoot) Token(FlattenedDeviceTree.NopToken);
        Node(root);
        Token(FlattenedDeviceTree.EndToken);

        reservations ??= [];
        int reserveMap = 16 * (reservations.Count + 1);
        int structOffset = FlattenedDeviceTree.HeaderSize + reserveMap;
        int stringsOffset = structOffset + (int)structure.Length;
        int total = stringsOffset + (int)strings.Length;
        var blob = new byte[total];
        void Header(int at, uint value) => BinaryPrimitives.WriteUInt32BigEndian(blob.AsSpan(at), value);
        Header(0, FlattenedDeviceTree.Magic); Header(4, (uint)total); Header(8, (uint)structOffset); Header(12, (uint)stringsOffset);
        Header(16, FlattenedDeviceTree.HeaderSize); Header(20, 17); Header(24, 16); Header(28, 0);
        Header(32, (uint)strings.Length); Header(36, (uint)structure.Length);
        for (int i = 0; i < reservations.Count; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(blob.AsSpan(40 + 16 * i), reservations[i].Address);
            BinaryPrimitives.WriteUInt64BigEndian(blob.AsSpan(48 + 16 * i), reservations[i].Size);
        }
        structure.ToArray().CopyTo(blob, structOffset);
        strings.ToArray().CopyTo(blob, stringsOffset);
        return blob;
    }

    public static void SetCell(byte[] blob, int at, uint value) => BinaryPrimitives.WriteUInt32BigEndian(blob.AsSpan(at), value);
}
