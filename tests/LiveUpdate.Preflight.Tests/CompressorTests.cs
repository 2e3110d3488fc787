// CompressorTests: a real kernel payload recompressed by every compressor the kernel supports,
// exactly as its Makefiles do, wrapped in a real setup header: release, ABI strings and the
// embedded config must be found for each; LZO is reported as undeterminable, not a crash.
namespace LiveUpdate.Preflight.Tests;

[Collection(RealKernels.CollectionName)]
public sealed class CompressorTests(RealKernels kernels)
{
    [Theory]
    [InlineData(PayloadCompression.Gzip)]
    [InlineData(PayloadCompression.Bzip2)]
    [InlineData(PayloadCompression.Lzma)]
    [InlineData(PayloadCompression.Xz)]
    [InlineData(PayloadCompression.Lz4)]
    [InlineData(PayloadCompression.Zstd)]
    public void EveryKernelCompressorIsReadBack(PayloadCompression compression)
    {
        byte[] payload = compression == PayloadCompression.Xz ? kernels.XzWrapped73 : KernelCompressor.Compress(compression, kernels.Decompressed73, kernels.XzWrap);
        string path = BzImageFixture.Wrap(kernels.Kernel73.BzImage, payload, kernels.NewPath($"bzImage.{compression}"));

        var image = KernelImage.Read(path, ["memfd"]);

        Assert.Equal(compression, image.Compression);
        Assert.Null(image.DecompressProblem);
        Assert.Equal(kernels.Decompressed73.Length, image.DecompressedSize);
        Assert.Equal(kernels.Kernel73.Release, image.Release);
        Assert.Equal(["kho-v4"], image.AbiStrings(AbiComponent.Kho)!);
        Assert.Equal(["luo-v5"], image.AbiStrings(AbiComponent.Luo)!);
        Assert.Equal(["memfd-v2"], image.AbiStrings(AbiComponent.Handler("memfd"))!);
        Assert.Equal("y", image.Config?.Get("CONFIG_LIVEUPDATE"));
    }

    [Fact]
    public void XzWrapUsesTheX86BcjFilter()
    {
        byte[] payload = kernels.XzWrapped73;
        // After the 12-byte stream header comes the block header: size, flags, optional sizes, then the
        // filter chain. The first filter must be x86 BCJ (ID 0x04), the last LZMA2 (0x21).
        byte flags = payload[13];
        int at = 14;
        if ((flags & 0x40) != 0) at = SkipVarint(payload, at);
        if ((flags & 0x80) != 0) at = SkipVarint(payload, at);
        Assert.Equal(1, flags & 0x03); // two filters
        Assert.Equal(0x04, payload[at]);
    }

    private static int SkipVarint(byte[] bytes, int at)
    {
        while ((bytes[at] & 0x80) != 0) at++;
        return at + 1;
    }

    [Fact]
    public void LzoPayloadIsAWarningNotACrash()
    {
        byte[] lzo = [0x89, (byte)'L', (byte)'Z', (byte)'O', 0x00, 0x0D, 0x0A, 0x1A, 0x0A, 0x10, 0x40, 0x20, 0x00, 0, 0, 0, 0];
        string path = BzImageFixture.Wrap(kernels.Kernel73.BzImage, lzo, kernels.NewPath("bzImage.lzo"));

        var report = PreflightCheck.Run(new PreflightRequest(path, null, "kho=on liveupdate=on", ["memfd"], From: kernels.Kernel72.BzImage));

        Assert.Equal(PreflightVerdict.GoWithWarnings, report.Verdict);
        var finding = Assert.Single(report.Findings, f => f.Code == "image-not-decompressed");
        Assert.Contains("LZO", finding.What);
        Assert.Contains(report.Findings, f => f is { Code: "luo-abi-unknown", Severity: FindingSeverity.Warning });
        Assert.Contains(report.Findings, f => f is { Code: "kho-abi-unknown", Severity: FindingSeverity.Warning });
    }
}
