// UnitTests: the small parsers on their own — ABI string matching boundaries, the FDT reader,
// kho_scratch= parsing, lockdown parsing, compressor magic detection and the verdict rule.
using System.Text;

namespace LiveUpdate.Preflight.Tests;

public sealed class UnitTests
{
    [Fact]
    public void AbiScannerMatchesWholeNulTerminatedStringsOnly()
    {
        byte[] kernel = Encoding.ASCII.GetBytes("\0luo-v5\0 xmemfd-v9\0\xffmemfd-v2\0memfd-v3x\0foo-kho-v1\0kho-v4\0luo-v\0");
        Assert.Equal(["luo-v5"], AbiStringScanner.Find(kernel, AbiComponent.Luo));
        Assert.Equal(["memfd-v2"], AbiStringScanner.Find(kernel, AbiComponent.Handler("memfd")));
        Assert.Equal(["kho-v4"], AbiStringScanner.Find(kernel, AbiComponent.Kho));
        Assert.Empty(AbiStringScanner.Find(kernel, AbiComponent.Handler("vfiofd")));
    }

    [Fact]
    public void FdtReaderReadsRootCompatible()
    {
        byte[] blob = FdtBlobBuilder.Build([("compatible", "kho-v4"), ("other", "x")], [("child", "compatible", "memblock-v1")]);
        var fdt = FlattenedDeviceTree.TryParse(blob);
        Assert.NotNull(fdt);
        Assert.Equal("kho-v4", fdt!.RootCompatible());
        Assert.Equal(2, fdt.RootProperties().Count);
        Assert.Null(FlattenedDeviceTree.TryParse(new byte[64]));
        Assert.Equal("kho-v4", KhoDebugfsState.SubtreeCompatible(blob));
        Assert.Equal("luo-v5", KhoDebugfsState.SubtreeCompatible(Encoding.ASCII.GetBytes("luo-v5\0\0\x01\x02")));
    }

    [Theory]
    [InlineData("150%", 150u, null)]
    [InlineData("16M,256M,128M", null, 400UL << 20)]
    [InlineData("1G,0,0", null, 1UL << 30)]
    public void KhoScratchParsesLikeTheKernel(string value, uint? scale, ulong? total)
    {
        var parsed = KhoScratchParameter.TryParse(value);
        Assert.NotNull(parsed);
        Assert.Equal(scale, parsed!.ScalePercent);
        Assert.Equal(total, parsed.ExplicitTotal(1));
    }

    [Theory]
    [InlineData("")]
    [InlineData("16M,256M")]
    [InlineData("0,0,0")]
    [InlineData("16Q,1,1")]
    [InlineData("abc%")]
    public void KhoScratchRejectsWhatTheKernelRejects(string value) => Assert.Null(KhoScratchParameter.TryParse(value));

    [Fact]
    public void LockdownSelectedModeIsTheBracketedOne()
    {
        Assert.Equal("integrity", ReferenceKernel.ParseLockdown("none [integrity] confidentiality"));
        Assert.Equal("none", ReferenceKernel.ParseLockdown("[none] integrity confidentiality"));
        Assert.Null(ReferenceKernel.ParseLockdown("garbage"));
    }

    [Theory]
    [InlineData(new byte[] { 0x1F, 0x8B, 8 }, PayloadCompression.Gzip)]
    [InlineData(new byte[] { 0x42, 0x5A, 0x68, 0x39 }, PayloadCompression.Bzip2)]
    [InlineData(new byte[] { 0x5D, 0, 0, 0x80, 0 }, PayloadCompression.Lzma)]
    [InlineData(new byte[] { 0xFD, 0x37, 0x7A, 0x58, 0x5A, 0 }, PayloadCompression.Xz)]
    [InlineData(new byte[] { 0x89, 0x4C, 0x5A, 0x4F, 0, 0x0D }, PayloadCompression.Lzo)]
    [InlineData(new byte[] { 0x02, 0x21, 0x4C, 0x18 }, PayloadCompression.Lz4)]
    [InlineData(new byte[] { 0x28, 0xB5, 0x2F, 0xFD }, PayloadCompression.Zstd)]
    [InlineData(new byte[] { 0x7F, 0x45, 0x4C, 0x46 }, PayloadCompression.Unknown)]
    public void CompressorIsDetectedByMagic(byte[] magic, PayloadCompression expected) =>
        Assert.Equal(expected, PayloadCompressionDetector.Detect(magic));

    [Fact]
    public void VerdictIsTheWorstSeverity()
    {
        PreflightFinding F(FindingSeverity s) => new(s, "c", "w", "y", null);
        Assert.Equal(PreflightVerdict.Go, PreflightReport.VerdictOf([F(FindingSeverity.Ok), F(FindingSeverity.Info)]));
        Assert.Equal(PreflightVerdict.GoWithWarnings, PreflightReport.VerdictOf([F(FindingSeverity.Ok), F(FindingSeverity.Warning)]));
        Assert.Equal(PreflightVerdict.NoGo, PreflightReport.VerdictOf([F(FindingSeverity.Warning), F(FindingSeverity.Error)]));
    }

    [Fact]
    public void ReportSerializesThroughTheSourceGeneratedContext()
    {
        var report = new PreflightReport(PreflightVerdict.NoGo, "/b", "7.3.4", "kernel image /a (7.2.13)", "7.2.13", ["memfd"],
            [new(FindingSeverity.Error, "luo-abi-mismatch", "what", "why", "fix")], 1.5, 2.5);
        string json = System.Text.Json.JsonSerializer.Serialize(report, PreflightJsonContext.Default.PreflightReport);
        Assert.Contains("\"verdict\": \"NoGo\"", json);
        Assert.Contains("\"severity\": \"Error\"", json);
        Assert.Contains("\"code\": \"luo-abi-mismatch\"", json);
        string readable = System.Text.Json.JsonSerializer.Serialize(report with { NextRelease = "7.3.4-1~bpo13+1" }, PreflightJsonContext.Readable.PreflightReport);
        Assert.Contains("\"nextRelease\": \"7.3.4-1~bpo13+1\"", readable);
        Assert.Contains("\"verdict\": \"NoGo\"", readable);
    }
}
