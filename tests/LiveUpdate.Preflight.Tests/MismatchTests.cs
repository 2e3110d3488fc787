// MismatchTests: a real 7.3 kernel with one ABI string patched (and recompressed with the
// kernel's xz flags), or with a bad command line, against the real 7.2 kernel: each must be
// NO-GO with a finding that names the component, the consequence and the fix.
namespace LiveUpdate.Preflight.Tests;

[Collection(RealKernels.CollectionName)]
public sealed class MismatchTests(RealKernels kernels)
{
    private const string Cmdline = "kho=on liveupdate=on";

    [Fact]
    public void LuoVersionMismatchIsNoGoNamingThePanic()
    {
        string next = Patched("luo-v5", "luo-v6");

        var report = PreflightCheck.Run(new PreflightRequest(next, null, Cmdline, ["memfd"], From: kernels.Kernel72.BzImage));

        Assert.Equal(PreflightVerdict.NoGo, report.Verdict);
        var finding = Assert.Single(report.Findings, f => f.Code == "luo-abi-mismatch");
        Assert.Equal(FindingSeverity.Error, finding.Severity);
        Assert.Contains("LUO", finding.What);
        Assert.Contains("\"luo-v5\"", finding.What);
        Assert.Contains("\"luo-v6\"", finding.What);
        Assert.Contains("panic", finding.Why);
        Assert.Contains("luo_restore_fail", finding.Why);
        Assert.NotNull(finding.Fix);
        Assert.Contains(report.Findings, f => f is { Code: "kho-abi", Severity: FindingSeverity.Ok });
    }

    [Fact]
    public void KhoVersionMismatchIsNoGo()
    {
        var report = PreflightCheck.Run(new PreflightRequest(Patched("kho-v4", "kho-v5"), null, Cmdline, ["memfd"], From: kernels.Kernel72.BzImage));

        Assert.Equal(PreflightVerdict.NoGo, report.Verdict);
        var finding = Assert.Single(report.Findings, f => f.Code == "kho-abi-mismatch");
        Assert.Contains("ignores the whole handover", finding.Why);
    }

    [Fact]
    public void HandlerMismatchMattersOnlyWhenTheHandlerIsInUse()
    {
        string next = Patched("memfd-v2", "memfd-v3");

        var inUse = PreflightCheck.Run(new PreflightRequest(next, null, Cmdline, ["memfd"], From: kernels.Kernel72.BzImage));
        Assert.Equal(PreflightVerdict.NoGo, inUse.Verdict);
        var finding = Assert.Single(inUse.Findings, f => f.Code == "memfd-abi-mismatch");
        Assert.Contains("EIO", finding.Why);

        var notInUse = PreflightCheck.Run(new PreflightRequest(next, null, Cmdline, [], From: kernels.Kernel72.BzImage));
        Assert.Equal(PreflightVerdict.Go, notInUse.Verdict);
    }

    [Fact]
    public void MissingKhoOnIsNoGoAndMissingCommandLineIsAWarning()
    {
        var noKho = PreflightCheck.Run(new PreflightRequest(kernels.Kernel73.BzImage, null, "console=ttyS0 liveupdate=on", ["memfd"], From: kernels.Kernel72.BzImage));
        Assert.Equal(PreflightVerdict.NoGo, noKho.Verdict);
        var kho = Assert.Single(noKho.Findings, f => f.Code == "cmdline-kho");
        Assert.Equal(FindingSeverity.Error, kho.Severity);
        Assert.Contains("kho=on", kho.Fix);

        var noLuo = PreflightCheck.Run(new PreflightRequest(kernels.Kernel73.BzImage, null, "kho=on", ["memfd"], From: kernels.Kernel72.BzImage));
        Assert.Contains(noLuo.Findings, f => f is { Code: "cmdline-liveupdate", Severity: FindingSeverity.Error });

        var unknown = PreflightCheck.Run(new PreflightRequest(kernels.Kernel73.BzImage, null, null, ["memfd"], From: kernels.Kernel72.BzImage));
        Assert.Equal(PreflightVerdict.GoWithWarnings, unknown.Verdict);
        Assert.Contains(unknown.Findings, f => f is { Code: "cmdline-unknown", Severity: FindingSeverity.Warning });
    }

    [Fact]
    public void NotAKernelImageThrowsWithTheReason()
    {
        string path = kernels.NewPath("not-a-kernel");
        File.WriteAllBytes(path, new byte[8192]);

        var error = Assert.Throws<KernelImageException>(() => PreflightCheck.Run(new PreflightRequest(path, null, Cmdline, ["memfd"], From: kernels.Kernel72.BzImage)));
        Assert.Contains("HdrS", error.Message);
        Assert.Equal(path, error.ImagePath);
    }

    private string Patched(string from, string to)
    {
        byte[] kernel = BzImageFixture.Patch(kernels.Decompressed73, from, to);
        byte[] payload = KernelCompressor.Compress(PayloadCompression.Xz, kernel, kernels.XzWrap);
        return BzImageFixture.Wrap(kernels.Kernel73.BzImage, payload, kernels.NewPath($"bzImage.{to}"));
    }
}
