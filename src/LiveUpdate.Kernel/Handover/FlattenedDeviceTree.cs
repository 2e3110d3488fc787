// FlattenedDeviceTree: a complete reader of the flattened device tree blob (DTB) format,
// the format KHO hands its root state over in (include/linux/kho/abi/kexec_handover.h) and
// that debugfs shows as kho/{in,out}/fdt (CONFIG_KEXEC_HANDOVER_DEBUGFS). Header (magic
// 0xd00dfeed, big-endian), memory reservation map, structure block (FDT_BEGIN_NODE,
// FDT_END_NODE, FDT_PROP, FDT_NOP, FDT_END) and strings block. Every offset and length is
// checked against the blob and its blocks before it is used: a damaged blob raises a
// HandoverFormatException naming what and where, never an index error. No NuGet package
// reads FDTs (none is served for .NET), so it is written here, against the devicetree
// specification v0.4 chapter 5 and libfdt's fdt_check_header.
using System.Buffers.Binary;
using System.Text;

namespace LiveUpdate.Kernel.Handover;

public sealed class FlattenedDeviceTree
{
    public const uint Magic = 0xD00DFEED;
    public const int HeaderSize = 40;
    public const uint BeginNodeToken = 1, EndNodeToken = 2, PropToken = 3, NopToken = 4, EndToken = 9;

    /// <summary>The oldest format version this reader understands (libfdt writes 17).</summary>
    public const uint OldestVersion = 16;
    /// <summary>Deeper nesting than this is refused as damage (KHO's trees are two levels deep).</summary>
    public const int MaxDepth = 64;

    private const string What = "flattened device tree";

    private FlattenedDeviceTree(uint totalSize, uint version, uint lastCompatibleVersion, uint bootCpuId,
        IReadOnlyList<FdtReservation> reservations, FdtNode root)
    {
        TotalSize = totalSize;
        Version = version;
        LastCompatibleVersion = lastCompatibleVersion;
        BootCpuId = bootCpuId;
        Reservations = reservations;
        Root = root;
    }

    public uint TotalSize { get; }
    public uint Version { get; }
    public uint LastCompatibleVersion { get; }
    public uint BootCpuId { get; }
    public IReadOnlyList<FdtReservation> Reservations { get; }
    public FdtNode Root { get; }

    public static bool LooksLikeFdt(ReadOnlySpan<byte> blob) =>
        blob.Length >= 4 && BinaryPrimitives.ReadUInt32BigEndian(blob) == Magic;

    /// <summary>Parses the whole blob; throws HandoverFormatException when it is not a well-formed FDT.</summary>
    public static FlattenedDeviceTree Parse(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < HeaderSize)
            throw new HandoverFormatException(What, blob.Length, $"{blob.Length} bytes is shorter than the {HeaderSize}-byte header");
        uint magic = Cell(blob, 0);
        if (magic != Magic)
            throw new HandoverFormatException(What, 0, $"magic is 0x{magic:x8}, not 0x{Magic:x8}: this is not an FDT");
        uint totalSize = Cell(blob, 4), structOffset = Cell(blob, 8), stringsOffset = Cell(blob, 12),
            reservationOffset = Cell(blob, 16), version = Cell(blob, 20), lastCompatible = Cell(blob, 24),
            bootCpu = Cell(blob, 28), stringsSize = Cell(blob, 32), structSize = Cell(blob, 36);
        if (totalSize > blob.Length)
            throw new HandoverFormatException(What, blob.Length,
                $"truncated: the header's totalsize is {totalSize} bytes but the blob has {blob.Length}");
        if (totalSize < HeaderSize)
            throw new HandoverFormatException(What, 4, $"totalsize {totalSize} is smaller than the header");
        if (version < OldestVersion)
            throw new HandoverFormatException(What, 20, $"format version {version} is older than {OldestVersion}, which this reader needs");
        if (lastCompatible > 17)
            throw new HandoverFormatException(What, 24, $"last compatible version {lastCompatible} is newer than 17, the newest this reader knows");
        if (version < 17) structSize = (stringsOffset > structOffset ? stringsOffset : totalSize) - structOffset;
        CheckBlock(structOffset, structSize, totalSize, "structure block", 8);
        CheckBlock(stringsOffset, stringsSize, totalSize, "strings block", 12);
        if (reservationOffset < HeaderSize || reservationOffset > totalSize || reservationOffset % 8 != 0)
            throw new HandoverFormatException(What, 16, $"memory reservation map offset {reservationOffset} is outside the blob or not 8-byte aligned");

        var reservations = ReadReservations(blob[..(int)totalSize], (int)reservationOffset);
        var structure = blob.Slice((int)structOffset, (int)structSize);
        var strings = blob.Slice((int)stringsOffset, (int)stringsSize);
        var root = new StructureWalker(structure, strings, (int)structOffset).ReadRoot();
        return new FlattenedDeviceTree(totalSize, version, lastCompatible, bootCpu, reservations, root);
    }

    private static void CheckBlock(uint offset, uint size, uint totalSize, string block, int headerField)
    {
        if (offset < HeaderSize || offset > totalSize || size > totalSize - offset)
            throw new HandoverFormatException(What, headerField,
                $"{block} at offset {offset} with {size} bytes lies outside the {totalSize}-byte blob");
    }

    private static List<FdtReservation> ReadReservations(ReadOnlySpan<byte> blob, int at)
    {
        var entries = new List<FdtReservation>();
        while (true)
        {
            if (at + 16 > blob.Length)
                throw new HandoverFormatException(What, at, "memory reservation map runs past the end of the blob without its terminating zero entry");
            ulong address = BinaryPrimitives.ReadUInt64BigEndian(blob[at..]), size = BinaryPrimitives.ReadUInt64BigEndian(blob[(at + 8)..]);
            at += 16;
            if (address == 0 && size == 0) return entries;
            entries.Add(new FdtReservation(address, size));
        }
    }

    private static uint Cell(ReadOnlySpan<byte> blob, int at) => BinaryPrimitives.ReadUInt32BigEndian(blob[at..]);

    /// <summary>Walks the structure block token by token, keeping an explicit stack (no recursion on input depth).</summary>
    private ref struct StructureWalker(ReadOnlySpan<byte> structure, ReadOnlySpan<byte> strings, int blockOffset)
    {
        private readonly ReadOnlySpan<byte> _structure = structure;
        private readonly ReadOnlySpan<byte> _strings = strings;
        private int _at;

        public FdtNode ReadRoot()
        {
            uint token = NextToken(skipNops: true);
            if (token != BeginNodeToken)
                throw Error($"the structure block starts with token {token}, not FDT_BEGIN_NODE");
            var stack = new Stack<NodeBuilder>();
            stack.Push(new NodeBuilder(ReadName()));
            FdtNode? root = null;
            while (root is null)
            {
                token = NextToken(skipNops: true);
                switch (token)
                {
                    case BeginNodeToken:
                        if (stack.Count >= MaxDepth) throw Error($"nodes nest deeper than {MaxDepth} levels");
                        var child = new NodeBuilder(ReadName());
                        stack.Peek().Children.Add(child);
                        stack.Push(child);
                        break;
                    case EndNodeToken:
                        var done = stack.Pop();
                        if (stack.Count == 0) root = done.Build();
                        break;
                    case PropToken:
                        var node = stack.Peek();
                        if (node.Children.Count > 0) throw Error($"a property of node '{node.Name}' follows its child nodes");
                        node.Properties.Add(ReadProperty());
                        break;
                    case EndToken:
                        throw Error($"FDT_END before node '{stack.Peek().Name}' was closed");
                    default:
                        throw Error($"unknown token 0x{token:x8}");
                }
            }
            token = NextToken(skipNops: true);
            if (token != EndToken) throw Error($"token {token} after the root node, where FDT_END belongs");
            return root;
        }

        private uint NextToken(bool skipNops)
        {
            while (true)
            {
                if (_at + 4 > _structure.Length) throw Error("the structure block ends inside a token (no FDT_END)");
                uint token = BinaryPrimitives.ReadUInt32BigEndian(_structure[_at..]);
                _at += 4;
                if (!(skipNops && token == NopToken)) return token;
            }
        }

        private string ReadName()
        {
            int end = _structure[_at..].IndexOf((byte)0);
            if (end < 0) throw Error("a node name runs past the end of the structure block");
            string name = Encoding.ASCII.GetString(_structure.Slice(_at, end));
            _at = Align(_at + end + 1);
            return name;
        }

        private FdtProperty ReadProperty()
        {
            if (_at + 8 > _structure.Length) throw Error("a property header runs past the end of the structure block");
            uint length = BinaryPrimitives.ReadUInt32BigEndian(_structure[_at..]);
            uint nameOffset = BinaryPrimitives.ReadUInt32BigEndian(_structure[(_at + 4)..]);
            _at += 8;
            if (length > _structure.Length - _at)
                throw Error($"a property value of {length} bytes runs past the end of the structure block");
            if (nameOffset >= _strings.Length)
                throw Error($"a property name offset {nameOffset} lies outside the {_strings.Length}-byte strings block");
            int nameEnd = _strings[(int)nameOffset..].IndexOf((byte)0);
            if (nameEnd < 0) throw Error($"the property name at strings offset {nameOffset} is not NUL-terminated");
            string name = Encoding.ASCII.GetString(_strings.Slice((int)nameOffset, nameEnd));
            byte[] value = _structure.Slice(_at, (int)length).ToArray();
            _at = Align(_at + (int)length);
            return new FdtProperty(name, value);
        }

        private readonly HandoverFormatException Error(string message) => new(What, blockOffset + _at, message);

        private static int Align(int offset) => (offset + 3) & ~3;
    }

    private sealed class NodeBuilder(string name)
    {
        public string Name { get; } = name;
        public List<FdtProperty> Properties { get; } = [];
        public List<NodeBuilder> Children { get; } = [];

        public FdtNode Build() => new(Name, Properties, Children.Select(c => c.Build()).ToList());
    }
}
