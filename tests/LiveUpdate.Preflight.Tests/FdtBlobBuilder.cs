// FdtBlobBuilder: writes a small flattened device tree (root node with string properties and
// child nodes) the way libfdt's sequential-write API lays it out, to feed the FDT reader and
// a fake KHO debugfs in tests.
using System.Buffers.Binary;
using System.Text;

namespace LiveUpdate.Preflight.Tests;

public static class FdtBlobBuilder
{
    public static byte[] Build(IReadOnlyList<(string Name, string Value)> rootProperties, IReadOnlyList<(string Node, string Property, string Value)> children)
    {
        var structure = new MemoryStream();
        var strings = new MemoryStream();
        var offsets = new Dictionary<string, int>();
        void Token(uint token) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32BigEndian(b, token); structure.Write(b); }
        void Pad() { while (structure.Length % 4 != 0) structure.WriteByte(0); }
        void Name(string name) { structure.Write(Encoding.ASCII.GetBytes(name + "\0")); Pad(); }
        void Prop(string name, string value)
        {
            if (!offsets.TryGetValue(name, out int offset))
            {
                offset = (int)strings.Length;
                offsets[name] = offset;
                strings.Write(Encoding.ASCII.GetBytes(name + "\0"));
            }
            byte[] data = Encoding.ASCII.GetBytes(value + "\0");
            Token(3); Token((uint)data.Length); Token((uint)offset);
            structure.Write(data); Pad();
        }

        Token(1); Name("");
        foreach (var (name, value) in rootProperties) Prop(name, value);
        foreach (var (node, property, value) in children) { Token(1); Name(node); Prop(property, value); Token(2); }
        Token(2); Token(9);

        const int headerSize = 40, reserveMap = 16;
        int structOffset = headerSize + reserveMap;
        int stringsOffset = structOffset + (int)structure.Length;
        int total = stringsOffset + (int)strings.Length;
        var blob = new byte[total];
        void Header(int at, uint value) => BinaryPrimitives.WriteUInt32BigEndian(blob.AsSpan(at), value);
        Header(0, FlattenedDeviceTree.Magic); Header(4, (uint)total); Header(8, (uint)structOffset); Header(12, (uint)stringsOffset);
        Header(16, headerSize); Header(20, 17); Header(24, 16); Header(28, 0); Header(32, (uint)strings.Length); Header(36, (uint)structure.Length);
        structure.ToArray().CopyTo(blob, structOffset);
        strings.ToArray().CopyTo(blob, stringsOffset);
        return blob;
    }
}
