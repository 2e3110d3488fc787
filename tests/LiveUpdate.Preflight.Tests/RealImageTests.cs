// RealImageTests: preflight on the real kernels — the 7.2 and 7.3 bzImages our harness builds
// (KHO/LUO built in) and Debian's own 7.2 vmlinuz (built without them).
namespace LiveUpdate.Preflight.Tests;

[Collection(RealKernels.CollectionName)]
public sealed class RealImageTests(RealKernels kernels)
{
    private const string Cmdline = "console=ttyS0 kho=on liveupdate=on";

    [Theory]
    [InlineData("7.2")]
    [InlineData("7.3")]
    public void HarnessImageShowsReleaseAbiStringsAndConfig(string series)
    {
        var prepared = series == "7.2" ? kernels.Kernel72 : kernels.Kernel73;
        var image = KernelImage.Read(prepared.BzImage, ["memfd"]);

        Assert.Equal(prepared.Release, image.Release);
        Assert.True(image.Image.Protocol >= BzImage.MinimumProtocol);
        Assert.Null(image.DecompressProblem);
        // vm/kernel.fragment picks LZ4 (a blackout lever): decoded in process, no lz4 program involved.
        Assert.Equal(PayloadCompression.Lz4, image.Compression);
        Assert.Equal(["kho-v4"], image.AbiStrings(AbiComponent.Kho)!);
        Assert.Equal(["luo-v5"], image.AbiStrings(AbiComponent.Luo)!);
        Assert.Equal(["memfd-v2"], image.AbiStrings(AbiComponent.Handler("memfd"))!);
        Assert.NotNull(image.Config);
        var expected = new LiveUpdate.Kernel.KernelConfig(File.ReadAllLines(prepared.Config));
        foreach (string option in new[] { "CONFIG_KEXEC_HANDOVER", "CONFIG_LIVEUPDATE", "CONFIG_LIVEUPDATE_MEMFD", "CONFIG_KEXEC_FILE" })
            Assert.Equal(expected.Get(option), image.Config!.Get(option));
        Assert.Equal("y", image.Config!.Get("CONFIG_LIVEUPDATE"));
    }

    [Fact]
    public void DecompressedHarnessPayloadIsTheBuiltKernel()
    {
        // The payload is vmlinux stripped to binary (objcopy -O binary) plus relocations: it must hold vmlinux's release string.
        var prepared = kernels.Kernel73;
        byte[] release = System.Text.Encoding.ASCII.GetBytes($"Linux version {prepared.Release} ");
        Assert.True(kernels.Decompressed73.AsSpan().IndexOf(release) >= 0);
    }

    [Theory]
    [InlineData("7.2", "7.3")]
    [InlineData("7.3", "7.2")]
    [InlineData("7.3", "7.3")]
    public void PairOfHarnessKernelsIsGo(string from, string to)
    {
        var report = PreflightCheck.Run(new PreflightRequest(Bz(to), null, Cmdline, ["memfd"], From: Bz(from)));

        Assert.Equal(PreflightVerdict.Go, report.Verdict);
        Assert.Contains(report.Findings, f => f is { Code: "kho-abi", Severity: FindingSeverity.Ok } && f.What.Contains("kho-v4"));
        Assert.Contains(report.Findings, f => f is { Code: "luo-abi", Severity: FindingSeverity.Ok } && f.What.Contains("luo-v5"));
        Assert.Contains(report.Findings, f => f is { Code: "memfd-abi", Severity: FindingSeverity.Ok } && f.What.Contains("memfd-v2"));
        Assert.DoesNotContain(report.Findings, f => f.Severity is FindingSeverity.Warning or FindingSeverity.Error);
        Assert.Equal(to == "7.2" ? kernels.Kernel72.Release : kernels.Kernel73.Release, report.NextRelease);
    }

    [Fact]
    public void DebianSeven2KernelIsNoGoBecauseItLacksKhoAndLuo()
    {
        var debian = KernelImage.Read(kernels.Debian72.Vmlinuz, ["memfd"]);
        Assert.StartsWith("7.2.", debian.Release);
        Assert.Null(debian.DecompressProblem);
        // Verified, not assumed: Debian's build carries no KHO, LUO or memfd handler string.
        Assert.Empty(debian.AbiStrings(AbiComponent.Kho)!);
        Assert.Empty(debian.AbiStrings(AbiComponent.Luo)!);
        Assert.Empty(debian.AbiStrings(AbiComponent.Handler("memfd"))!);

        var report = PreflightCheck.Run(new PreflightRequest(kernels.Debian72.Vmlinuz, null, Cmdline, ["memfd"], From: Bz("7.2")));

        Assert.Equal(PreflightVerdict.NoGo, report.Verdict);
        var kho = Assert.Single(report.Findings, f => f.Code == "kho-missing");
        Assert.Equal(FindingSeverity.Error, kho.Severity);
        Assert.Contains("no KHO", kho.What);
        Assert.Contains("CONFIG_KEXEC_HANDOVER=y", kho.Fix);
        Assert.Contains(report.Findings, f => f is { Code: "luo-missing", Severity: FindingSeverity.Error });
        Assert.Contains(report.Findings, f => f is { Code: "memfd-missing", Severity: FindingSeverity.Error });
    }

    [Fact]
    public void DebianImageIsSignedAndHarnessImageIsNot()
    {
        Assert.True(BzImage.Read(kernels.Debian72.Vmlinuz).HasSignature);
        Assert.False(BzImage.Read(Bz("7.3")).HasSignature);
    }

    private string Bz(string series) => series == "7.2" ? kernels.Kernel72.BzImage : kernels.Kernel73.BzImage;
}
