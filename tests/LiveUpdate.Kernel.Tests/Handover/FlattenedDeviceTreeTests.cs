// FlattenedDeviceTreeTests: the DTB reader on trees shaped like KHO's and on damaged ones —
// every kind of bad offset, length and token gives a HandoverFormatException naming it, and no
// prefix or byte flip of a valid tree ever escapes as another exception type.
using LiveUpdate.Kernel.Handover;
using static LiveUpdate.Kernel.Tests.Handover.FdtTestWriter;

namespace LiveUpdate.Kernel.Tests.Handover;

public sealed class FlattenedDeviceTreeTests
{
    private static readonly byte[] Kho = KhoRoot("kho-v4", 0x1_2345_6000, ("LUO", 0x1000_0000, 32), ("kexec-metadata", 0x1000_1000, 73));

    [Fact]
    public void Reads_KHO_root_tree_with_native_u64_values()
    {
        var tree = FlattenedDeviceTree.Parse(Kho);
        Assert.Equal(17u, tree.Version);
        Assert.Equal((uint)Kho.Length, tree.TotalSize);
        Assert.Equal("kho-v4", tree.Root.Compatible);
        Assert.Equal(0x1_2345_6000UL, tree.Root.Property("preserved-memory-map")!.NativeUInt64);
        Assert.Equal(["LUO", "kexec-metadata"], tree.Root.Children.Select(c => c.Name));
        Assert.Equal(0x1000_1000UL, tree.Root.Child("kexec-metadata")!.Property("preserved-data")!.NativeUInt64);
        Assert.Equal(73UL, tree.Root.Child("kexec-metadata")!.Property("blob-size")!.NativeUInt64);
        Assert.Empty(tree.Reservations);
    }

    [Fact]
    public void Reads_reservations_nested_nodes_and_skips_nops()
    {
        var root = new TestNode("", [("compatible", Str("a\0b"))],
            [new TestNode("outer", [("cell", new byte[] { 0, 0, 0, 7 })], [new TestNode("inner@10", ("empty", Array.Empty<byte>()))])]);
        var tree = FlattenedDeviceTree.Parse(Write(root, [(0x8000, 0x1000)], nopBeforeRoot: true));
        Assert.Equal([new FdtReservation(0x8000, 0x1000)], tree.Reservations);
        Assert.Equal(["a", "b"], tree.Root.Property("compatible")!.Strings!);
        var outer = tree.Root.Child("outer")!;
        Assert.Equal("<0x7> (u32 cell)", outer.Property("cell")!.Display);
        Assert.Equal("(empty)", outer.Child("inner@10")!.Property("empty")!.Display);
    }

    [Fact]
    public void Rejects_blob_shorter_than_header() =>
        AssertBad(new byte[39], "shorter than the 40-byte header");

    [Fact]
    public void Rejects_wrong_magic()
    {
        var blob = (byte[])Kho.Clone();
        blob[0] = 0;
        AssertBad(blob, "not an FDT");
    }

    [Fact]
    public void Rejects_truncated_blob_naming_both_sizes()
    {
        var error = AssertBad(Kho[..^5], "truncated");
        Assert.Contains($"{Kho.Length} bytes", error.Message);
        Assert.Contains($"has {Kho.Length - 5}", error.Message);
    }

    [Theory]
    [InlineData(8, 0x7fff_ffffu, "structure block")]
    [InlineData(36, 0x7fff_ffffu, "structure block")]
    [InlineData(12, 0x7fff_ffffu, "strings block")]
    [InlineData(32, 0x7fff_ffffu, "strings block")]
    [InlineData(16, 0x7fff_fff0u, "reservation map")]
    [InlineData(20, 3u, "older than 16")]
    [InlineData(24, 18u, "newer than 17")]
    public void Rejects_header_fields_pointing_outside(int field, uint value, string expected)
    {
        var blob = (byte[])Kho.Clone();
        SetCell(blob, field, value);
        AssertBad(blob, expected);
    }

    [Fact]
    public void Rejects_property_longer_than_structure_block()
    {
        var blob = (byte[])Kho.Clone();
        int structOffset = 56;
        // The root's first token is BEGIN_NODE "" (8 bytes), then PROP: its length cell follows.
        SetCell(blob, structOffset + 12, 0x100000);
        AssertBad(blob, "runs past the end of the structure block");
    }

    [Fact]
    public void Rejects_property_name_outside_strings_block()
    {
        var blob = (byte[])Kho.Clone();
        SetCell(blob, 56 + 16, 0x10000);
        AssertBad(blob, "outside the");
    }

    [Fact]
    public void Rejects_unknown_token()
    {
        var blob = (byte[])Kho.Clone();
        SetCell(blob, 56, 0x77);
        AssertBad(blob, "not FDT_BEGIN_NODE");
    }

    [Fact]
    public void Rejects_missing_end_token()
    {
        var blob = Write(new TestNode("", ("compatible", Str("x"))));
        int end = blob.Length - (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(blob.AsSpan(32)) - 4;
        SetCell(blob, end, FlattenedDeviceTree.NopToken);
        AssertBad(blob, "no FDT_END");
    }

    [Fact]
    public void Rejects_nesting_deeper_than_limit()
    {
        var node = new TestNode("leaf");
        for (int i = 0; i < FlattenedDeviceTree.MaxDepth + 1; i++) node = new TestNode($"n{i}", [], [node]);
        AssertBad(Write(node), "deeper than");
    }

    [Fact]
    public void Every_prefix_of_a_valid_tree_is_a_clear_format_error()
    {
        for (int length = 0; length < Kho.Length; length++)
            Assert.Throws<HandoverFormatException>(() => FlattenedDeviceTree.Parse(Kho.AsSpan(0, length)));
    }

    [Fact]
    public void Byte_flips_never_escape_as_other_exceptions()
    {
        var random = new Random(15);
        for (int round = 0; round < 20_000; round++)
        {
            var blob = (byte[])Kho.Clone();
            for (int flips = random.Next(1, 4); flips > 0; flips--) blob[random.Next(blob.Length)] = (byte)random.Next(256);
            try { FlattenedDeviceTree.Parse(blob); }
            catch (HandoverFormatException) { }
        }
    }

    private static HandoverFormatException AssertBad(byte[] blob, string expected)
    {
        var error = Assert.Throws<HandoverFormatException>(() => FlattenedDeviceTree.Parse(blob));
        Assert.Contains(expected, error.Message);
        return error;
    }
}
