// KhoGoldenTests: KhoStateReader on debugfs blobs captured from the real guest kernels by the
// kho-inspect scenario (Golden/, 2026-12-02): Linux 7.2.13 after a cold boot, and 7.3.4 after a
// kexec from it through luod. They pin what the kernels actually expose — the 7.2 out/fdt cut
// short by debugfs (233 of 285 bytes), no out/fdt after a KHO boot, the incoming LUO header's
// page already freed and reused — and that the reader says so instead of failing.
using LiveUpdate.Kernel.Handover;

namespace LiveUpdate.Kernel.Tests.Handover;

public sealed class KhoGoldenTests
{
    private static string Golden(string boot) => Path.Combine(AppContext.BaseDirectory, "Handover", "Golden", boot, "kho");
    private const string Cold = "7.2.13-cold-boot", AfterKexec = "7.3.4-after-kexec-from-7.2.13";

    private static async Task<KhoState> ReadAsync(string boot, string release)
    {
        using var fake = new FakeKhoDebugfs(release);
        return await KhoStateReader.ReadAsync(fake.Paths with { KhoDebugfs = Golden(boot) });
    }

    [Fact]
    public async Task Linux_7_2_cold_boot()
    {
        var state = await ReadAsync(Cold, "7.2.13");
        Assert.False(state.BootedByHandover);
        Assert.Null(state.PreviousKernel);
        Assert.Equal([new KhoScratchArea(0, 0xb1800000, 0x8000000), new KhoScratchArea(1, 0x90400000, 0x20000000), new KhoScratchArea(2, 0x80400000, 0x10000000)],
            state.Outgoing.ScratchAreas);
        Assert.Equal(233, state.Outgoing.FdtFileLength);
        Assert.Contains("totalsize is 285 bytes but the blob has 233", state.Outgoing.FdtProblem);
        Assert.Equal(new LuoStateHeader("luo-v5", true, 1, 0, 0xb09000), state.Outgoing.Subtree("LUO")!.Luo);
        Assert.Equal(new KexecChainMetadata(1, true, "7.2.13", 1u), state.Outgoing.Subtree("kexec-metadata")!.KexecMetadata);
    }

    [Fact]
    public async Task Linux_7_3_after_a_kexec_from_7_2()
    {
        var state = await ReadAsync(AfterKexec, "7.3.4");
        Assert.True(state.BootedByHandover);
        Assert.Equal(new KexecChainMetadata(1, true, "7.2.13", 1u), state.PreviousKernel);
        var incoming = state.Incoming!;
        Assert.Null(incoming.FdtProblem);
        Assert.Equal("kho-v4", incoming.Compatible);
        Assert.Equal(0x5c6000UL, incoming.MemoryMapPhysicalAddress);
        Assert.Equal(["LUO", "kexec-metadata"], incoming.Subtrees.Select(s => s.Name));
        var luo = incoming.Subtree("LUO")!;
        Assert.Equal((0xb08000UL, 32UL), (luo.PhysicalAddress!.Value, luo.Size!.Value));
        Assert.Equal(KhoSubtreeFormat.NotDecoded, luo.Format);
        Assert.Contains(KhoStateReader.IncomingLuoFreed, luo.Problem);
        Assert.Equal((0x5ef000UL, 73UL), (incoming.Subtree("kexec-metadata")!.PhysicalAddress!.Value, incoming.Subtree("kexec-metadata")!.Size!.Value));

        Assert.Contains("does not expose its outgoing root FDT", state.Outgoing.FdtProblem);
        Assert.Equal(new LuoStateHeader("luo-v5", true, 2, 0, 0xe0f000), state.Outgoing.Subtree("LUO")!.Luo);
        Assert.Equal(new KexecChainMetadata(1, true, "7.3.4", 2u), state.Outgoing.Subtree("kexec-metadata")!.KexecMetadata);
        Assert.Equal(3, state.Outgoing.ScratchAreas.Count);
    }

    [Fact]
    public void The_7_2_out_fdt_is_the_head_of_the_tree_7_3_received()
    {
        byte[] cut = File.ReadAllBytes(Path.Combine(Golden(Cold), "out", "fdt"));
        byte[] received = File.ReadAllBytes(Path.Combine(Golden(AfterKexec), "in", "fdt"));
        Assert.Equal(cut, received[..cut.Length]);
        var tree = FlattenedDeviceTree.Parse(received);
        Assert.Equal(285u, tree.TotalSize);
        for (int length = 0; length < received.Length; length++)
            Assert.Throws<HandoverFormatException>(() => FlattenedDeviceTree.Parse(received.AsSpan(0, length)));
    }
}
