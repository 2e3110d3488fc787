// InProcessDecoderTests: the in-process xz (container, LZMA2, x86 BCJ), lzma "alone" and zstd
// decoders against what the real tools (xz-utils, zstd: installed on every machine these tests
// run on) make of an x86-like buffer — CALL/JMP opcodes with near targets between data — in
// every shape the kernel and Debian use: one block and many, a BCJ start offset, CRC32 and
// CRC64 checks; damaged streams are a reported problem, never a crash; and Debian's own 7.2
// image decodes to exactly what the tool makes of its payload.
using System.Buffers.Binary;

namespace LiveUpdate.Preflight.Tests;

[Collection(RealKernels.CollectionName)]
public sealed class InProcessDecoderTests(RealKernels kernels)
{
    /// <summary>Machine-code-like bytes: E8/E9 with small signed 32-bit displacements, other opcodes, zero runs and text.</summary>
    private static byte[] X86Like(int length)
    {
        var random = new Random(7);
        var bytes = new byte[length];
        int at = 0;
        while (at < length - 5)
        {
            switch (random.Next(6))
            {
                case 0 or 1:
                    bytes[at] = random.Next(2) == 0 ? (byte)0xE8 : (byte)0xE9;
                    BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at + 1), random.Next(-1_000_000, 1_000_000));
                    at += 5;
                    break;
                case 2:
                    at += random.Next(1, 16); // zeros
                    break;
                case 3:
                    foreach (char c in "luo_session_retrieve") if (at < length) bytes[at++] = (byte)c;
                    break;
                default:
                    int run = random.Next(1, 8);
                    for (int i = 0; i < run && at < length; i++) bytes[at++] = (byte)random.Next(0x40, 0x90);
                    break;
            }
        }
        return bytes;
    }

    private static readonly byte[] Sample = X86Like(3 << 20);

    private static byte[] WithSizeTrailer(byte[] stream, int size)
    {
        var payload = new byte[stream.Length + 4];
        stream.CopyTo(payload, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(stream.Length), (uint)size);
        return payload;
    }

    [Fact]
    public void BranchConverterEncodeThenDecodeIsTheIdentityAndConvertsBranches()
    {
        byte[] filtered = (byte[])Sample.Clone();
        X86BranchConverter.Encode(filtered, 0x1000);
        Assert.NotEqual(Sample, filtered);
        X86BranchConverter.Decode(filtered, 0x1000);
        Assert.Equal(Sample, filtered);
    }

    [Fact]
    public void BranchConverterTurnsAnAbsoluteCallTargetBackIntoARelativeOne()
    {
        // At offset 16 a CALL whose encoded (absolute) target is 0x100: relative = 0x100 - (16 + 5).
        byte[] code = [.. new byte[16], 0xE8, 0x00, 0x01, 0x00, 0x00, .. new byte[8]];
        X86BranchConverter.Decode(code);
        Assert.Equal(0x100 - 21, BinaryPrimitives.ReadInt32LittleEndian(code.AsSpan(17)));
        Assert.Equal(new byte[16], code[..16]);
    }

    [Theory]
    [InlineData("--check=crc32", "--x86", "--lzma2=preset=6,dict=1MiB")] // the kernel's shape (xz_wrap.sh)
    [InlineData("--check=crc64", "--x86=start=4096", "--lzma2=preset=1")]
    [InlineData("--check=crc32", "--lzma2=preset=0", "-T1", "--block-size=524288")] // many blocks, no BCJ
    [InlineData("--check=sha256", "--x86", "--lzma2=preset=2", "-T2", "--block-size=1MiB")] // many blocks with sizes in their headers
    [InlineData("--check=none", "--x86", "--lzma2=preset=0")]
    public void XzStreamsOfTheRealToolDecode(params string[] options)
    {
        byte[] xz = KernelCompressor.Run("xz", ["--format=xz", .. options, "--stdout"], Sample);

        Assert.Equal(Sample, XzContainer.Decode(xz));
        var decompressed = PayloadDecompressor.Decompress(WithSizeTrailer(xz, Sample.Length));
        Assert.Equal((PayloadCompression.Xz, (string?)null), (decompressed.Compression, decompressed.Problem));
    }

    [Fact]
    public void LzmaAloneOfTheRealToolDecodes()
    {
        byte[] lzma = KernelCompressor.Run("xz", ["--format=lzma", "-9", "--stdout"], Sample);

        var decompressed = PayloadDecompressor.Decompress(WithSizeTrailer(lzma, Sample.Length));

        Assert.Equal(PayloadCompression.Lzma, decompressed.Compression);
        Assert.Null(decompressed.Problem);
        Assert.Equal(Sample, decompressed.Kernel);
    }

    [Fact]
    public void ZstdUltraOfTheRealToolDecodes()
    {
        byte[] zstd = KernelCompressor.Run("zstd", ["-22", "--ultra", "-c"], Sample);

        var decompressed = PayloadDecompressor.Decompress(WithSizeTrailer(zstd, Sample.Length));

        Assert.Equal(PayloadCompression.Zstd, decompressed.Compression);
        Assert.Null(decompressed.Problem);
        Assert.Equal(Sample, decompressed.Kernel);
    }

    [Theory]
    [InlineData("xz", 8)]      // stream header CRC
    [InlineData("xz", 400)]    // inside the LZMA2 data
    [InlineData("xz", -30)]    // index / footer
    [InlineData("lzma", 400)]
    [InlineData("zstd", 400)]
    public void DamagedStreamsAreAProblemNotACrash(string format, int offset)
    {
        byte[] stream = format switch
        {
            "xz" => KernelCompressor.Run("xz", ["--format=xz", "--check=crc32", "--x86", "--lzma2=preset=6", "--stdout"], Sample),
            "lzma" => KernelCompressor.Run("xz", ["--format=lzma", "-6", "--stdout"], Sample),
            _ => KernelCompressor.Run("zstd", ["-19", "-c"], Sample),
        };
        stream[offset < 0 ? stream.Length + offset : offset] ^= 0x55;

        var decompressed = PayloadDecompressor.Decompress(WithSizeTrailer(stream, Sample.Length));

        Assert.Null(decompressed.Kernel);
        Assert.Contains("cannot be decompressed", decompressed.Problem ?? "");
    }

    [Fact]
    public void DebiansKernelDecodesInProcessToWhatTheToolMakesOfIt()
    {
        var payload = BzImage.Read(kernels.Debian72.Vmlinuz).Payload.ToArray();
        var compression = PayloadCompressionDetector.Detect(payload);
        Assert.True(compression is PayloadCompression.Xz or PayloadCompression.Zstd, $"Debian's 7.2 image is {compression}-compressed");
        byte[] stream = payload[..^4];
        byte[] byTool = compression == PayloadCompression.Xz
            ? KernelCompressor.Run("xz", ["--decompress", "--stdout", "--format=xz"], stream)
            : KernelCompressor.Run("zstd", ["-d", "-c", "--long=31"], stream);

        var decompressed = PayloadDecompressor.Decompress(payload);

        Assert.Null(decompressed.Problem);
        Assert.Equal(byTool.Length, decompressed.Kernel!.Length);
        Assert.True(byTool.AsSpan().SequenceEqual(decompressed.Kernel), "the in-process decoder and the tool differ");
    }

    [Fact]
    public void TheHarnessKernelsXzWrapPayloadMatchesTheTool()
    {
        byte[] payload = kernels.XzWrapped73;
        byte[] byTool = KernelCompressor.Run("xz", ["--decompress", "--stdout", "--format=xz"], payload[..^4]);

        Assert.True(byTool.AsSpan().SequenceEqual(XzContainer.Decode(payload.AsMemory(..^4))), "the in-process xz decoder and xz differ on the kernel");
    }
}
