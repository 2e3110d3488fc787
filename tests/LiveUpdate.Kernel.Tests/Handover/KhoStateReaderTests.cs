// KhoStateReaderTests: KhoStateReader over fake debugfs trees — a cold boot, a boot after a
// kexec, the debugfs quirks (out/fdt shorter than its tree, absent after a KHO boot), unknown
// subtrees shown raw, and each reason kho/ can be missing, with its fix in the message.
using System.IO.Compression;
using LiveUpdate.Kernel.Handover;
using static LiveUpdate.Kernel.Tests.Handover.FdtTestWriter;
using static LiveUpdate.Kernel.Tests.Handover.HandoverStructTests;

namespace LiveUpdate.Kernel.Tests.Handover;

public sealed class KhoStateReaderTests
{
    private static FakeKhoDebugfs ColdBoot()
    {
        var fake = new FakeKhoDebugfs();
        fake.File_("out/fdt", KhoRoot("kho-v4", 0x2000, ("kexec-metadata", 0x3000, 73), ("LUO", 0x4000, 32)))
            .File_("out/sub_fdts/kexec-metadata", KexecMetadata(1, "7.2.13", 1))
            .File_("out/sub_fdts/LUO", LuoSer("luo-v5", 1, 0, 0x5000))
            .Text("out/scratch_phys", "0x1000000\n0x7e000000\n").Text("out/scratch_len", "0x4000000\n0x1000000\n");
        return fake;
    }

    [Fact]
    public async Task Cold_boot_has_outgoing_state_scratch_and_no_previous_kernel()
    {
        using var fake = ColdBoot();
        var state = await KhoStateReader.ReadAsync(fake.Paths);
        Assert.Equal("7.2.13", state.Release);
        Assert.False(state.BootedByHandover);
        Assert.Null(state.Incoming);
        Assert.Null(state.PreviousKernel);
        Assert.Equal([new KhoScratchArea(0, 0x1000000, 0x4000000), new KhoScratchArea(1, 0x7e000000, 0x1000000)], state.Outgoing.ScratchAreas);
        Assert.Equal("kho-v4", state.Outgoing.Compatible);
        Assert.True(state.Outgoing.KnownKhoAbi);
        Assert.Equal(0x2000UL, state.Outgoing.MemoryMapPhysicalAddress);
        var luo = state.Outgoing.Subtree("LUO")!;
        Assert.Equal(KhoSubtreeFormat.LuoState, luo.Format);
        Assert.Equal(0x4000UL, luo.PhysicalAddress);
        Assert.Equal(0UL, luo.Luo!.SessionsPhysicalAddress);
        Assert.Equal("7.2.13", state.Outgoing.Subtree("kexec-metadata")!.KexecMetadata!.PreviousRelease);
        Assert.Contains(state.Notes, n => n.Contains("sessions_pa is 0 until the reboot", StringComparison.Ordinal));
    }

    [Fact]
    public async Task After_a_kexec_the_incoming_tree_names_the_previous_kernel()
    {
        using var fake = ColdBoot();
        fake.File_("in/fdt", KhoRoot("kho-v4", 0x9000, ("kexec-metadata", 0xa000, 73), ("LUO", 0xb000, 32)))
            .File_("in/sub_fdts/kexec-metadata", KexecMetadata(1, "7.2.13", 1))
            .File_("in/sub_fdts/LUO", LuoSer("luo-v5", 1, 0x1_0000_0000, 0x5000));
        var state = await KhoStateReader.ReadAsync(fake.Paths);
        Assert.True(state.BootedByHandover);
        Assert.Equal(new KexecChainMetadata(1, true, "7.2.13", 1u), state.PreviousKernel);
        Assert.Equal(0x1_0000_0000UL, state.Incoming!.Subtree("LUO")!.Luo!.SessionsPhysicalAddress);
        Assert.Empty(state.Incoming.ScratchAreas);
    }

    [Fact]
    public async Task An_out_fdt_shorter_than_its_tree_is_explained_and_subtrees_come_from_sub_fdts()
    {
        using var fake = ColdBoot();
        var full = KhoRoot("kho-v4", 0x2000, ("kexec-metadata", 0x3000, 73), ("LUO", 0x4000, 32));
        fake.File_("out/fdt", full[..(full.Length - 40)]);
        var state = await KhoStateReader.ReadAsync(fake.Paths);
        Assert.Contains("truncated", state.Outgoing.FdtProblem);
        Assert.Contains("sized this file when KHO initialised", state.Outgoing.FdtProblem);
        Assert.Null(state.Outgoing.Compatible);
        Assert.Equal(["LUO", "kexec-metadata"], state.Outgoing.Subtrees.Select(s => s.Name));
        Assert.All(state.Outgoing.Subtrees, s => Assert.Null(s.PhysicalAddress));
        Assert.Equal(1UL, state.Outgoing.Subtree("LUO")!.Luo!.LiveUpdateNumber);
    }

    [Fact]
    public async Task A_missing_out_fdt_is_explained()
    {
        using var fake = ColdBoot();
        File.Delete(Path.Combine(fake.Paths.KhoDebugfs, "out", "fdt"));
        var state = await KhoStateReader.ReadAsync(fake.Paths);
        Assert.Contains("does not expose its outgoing root FDT", state.Outgoing.FdtProblem);
        Assert.Equal(2, state.Outgoing.Subtrees.Count);
    }

    [Fact]
    public async Task Unknown_subtrees_properties_and_damaged_blobs_are_shown_raw()
    {
        using var fake = new FakeKhoDebugfs();
        var root = new TestNode("", [("compatible", Str("kho-v9")), ("preserved-memory-map", U64(0x2000)), ("new-root-prop", Str("x"))],
            [new TestNode("vendor-blob", ("preserved-data", U64(0x7000)), ("blob-size", U64(4)), ("flags", new byte[] { 0, 0, 0, 1 })),
             new TestNode("LUO", ("preserved-data", U64(0x8000)), ("blob-size", U64(32))),
             new TestNode("no-data", ("something", Str("else")))]);
        fake.File_("out/fdt", Write(root)).File_("out/sub_fdts/vendor-blob", [0xde, 0xad, 0xbe, 0xef])
            .File_("out/sub_fdts/LUO", new byte[32]).Text("out/scratch_phys", "0x1000\n").Text("out/scratch_len", "zz\n");
        var state = await KhoStateReader.ReadAsync(fake.Paths);
        Assert.False(state.Outgoing.KnownKhoAbi);
        Assert.Equal("new-root-prop", Assert.Single(state.Outgoing.OtherRootProperties).Name);
        var vendor = state.Outgoing.Subtree("vendor-blob")!;
        Assert.Equal(KhoSubtreeFormat.Raw, vendor.Format);
        Assert.Equal("de ad be ef", vendor.RawPreview);
        Assert.Equal("flags", Assert.Single(vendor.OtherProperties).Name);
        var luo = state.Outgoing.Subtree("LUO")!;
        Assert.Equal(KhoSubtreeFormat.NotDecoded, luo.Format);
        Assert.Contains("NUL-terminated compatible", luo.Problem);
        Assert.Contains("blob-size 32 but debugfs shows 4", (await ReadWithWrongSize()).Problem);
        Assert.Contains("no 8-byte preserved-data", state.Outgoing.Subtree("no-data")!.Problem);
        Assert.Contains("'zz' is not a 0x-prefixed hex number", state.Outgoing.ScratchProblem);
    }

    private static async Task<KhoSubtree> ReadWithWrongSize()
    {
        using var fake = new FakeKhoDebugfs();
        fake.File_("out/fdt", KhoRoot("kho-v4", 1, ("thing", 2, 32))).File_("out/sub_fdts/thing", [1, 2, 3, 4])
            .Text("out/scratch_phys", "").Text("out/scratch_len", "");
        return (await KhoStateReader.ReadAsync(fake.Paths)).Outgoing.Subtree("thing")!;
    }

    [Fact]
    public async Task Unmounted_debugfs_says_how_to_mount_it()
    {
        using var fake = new FakeKhoDebugfs(mounted: false);
        var error = await Assert.ThrowsAsync<HandoverStateUnavailableException>(() => KhoStateReader.ReadAsync(fake.Paths));
        Assert.Equal(HandoverStateUnavailableReason.DebugfsNotMounted, error.Reason);
        Assert.Contains("mount -t debugfs none", error.Message);
        Assert.Contains("CONFIG_KEXEC_HANDOVER_DEBUGFS", error.Message);
    }

    [Fact]
    public async Task Kho_off_on_the_command_line_is_named()
    {
        using var fake = new FakeKhoDebugfs(commandLine: "console=ttyS0 kho=off");
        var error = await Assert.ThrowsAsync<HandoverStateUnavailableException>(() => KhoStateReader.ReadAsync(fake.Paths));
        Assert.Equal(HandoverStateUnavailableReason.KhoDisabled, error.Reason);
        Assert.Contains("kho=off on the command line", error.Message);
        Assert.Contains("boot with kho=on", error.Message);
    }

    [Fact]
    public async Task A_kernel_without_the_debugfs_option_is_named()
    {
        using var fake = new FakeKhoDebugfs();
        using (var gzip = new GZipStream(File.Create(fake.Paths.Config), CompressionLevel.Fastest))
        using (var writer = new StreamWriter(gzip))
            writer.Write("CONFIG_KEXEC_HANDOVER=y\n# CONFIG_KEXEC_HANDOVER_DEBUGFS is not set\n");
        var error = await Assert.ThrowsAsync<HandoverStateUnavailableException>(() => KhoStateReader.ReadAsync(fake.Paths));
        Assert.Equal(HandoverStateUnavailableReason.DebugfsInterfaceMissing, error.Reason);
        Assert.Contains("CONFIG_KEXEC_HANDOVER_DEBUGFS=y", error.Message);
    }

    [Fact]
    public void Scratch_files_of_different_lengths_are_refused() =>
        Assert.Contains("lists 2 areas but scratch_len 1",
            Assert.Throws<HandoverFormatException>(() => KhoStateReader.ParseScratch("0x1\n0x2\n", "0x10\n")).Message);
}
