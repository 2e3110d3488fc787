// Lz4LegacyDecoderTests: the in-process decoder of the kernel's LZ4 legacy frames — blocks split
// at 8 MiB, a second frame after a repeated magic, and every damaged stream answered with an
// InvalidDataException that says what is wrong (CompressorTests checks it against `lz4 -l` output).
using System.Buffers.Binary;
using K4os.Compression.LZ4;

namespace LiveUpdate.Preflight.Tests;

public sealed class Lz4LegacyDecoderTests
{
    private static byte[] Sample(int length)
    {
        var bytes = new byte[length];
        var random = new Random(42);
        for (int i = 0; i < length; i++) bytes[i] = (byte)(i % 251 < 128 ? i % 7 : random.Next(256));
        return bytes;
    }

    /// <summary>A legacy stream as `lz4 -l` writes it: magic, then (u32 length, block) per 8 MiB of input.</summary>
    private static byte[] Legacy(byte[] data, bool secondMagicAfterFirstBlock = false)
    {
        var output = new MemoryStream();
        Span<byte> word = stackalloc byte[4];
        Span<byte> header = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(word, Lz4LegacyDecoder.Magic);
        output.Write(word);
        for (int offset = 0, index = 0; offset < data.Length; offset += Lz4LegacyDecoder.BlockSize, index++)
        {
            if (secondMagicAfterFirstBlock && index == 1) output.Write(word);
            var chunk = data.AsSpan(offset, Math.Min(Lz4LegacyDecoder.BlockSize, data.Length - offset));
            var block = new byte[LZ4Codec.MaximumOutputSize(chunk.Length)];
            int length = LZ4Codec.Encode(chunk, block, LZ4Level.L09_HC);
            BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)length);
            output.Write(header);
            output.Write(block, 0, length);
            BinaryPrimitives.WriteUInt32LittleEndian(word, Lz4LegacyDecoder.Magic);
        }
        return output.ToArray();
    }

    [Fact]
    public void Decodes_blocks_across_the_8_MiB_boundary_and_a_second_frame()
    {
        var data = Sample(Lz4LegacyDecoder.BlockSize + 123_457);
        Assert.Equal(data, Lz4LegacyDecoder.Decode(Legacy(data)));
        Assert.Equal(data, Lz4LegacyDecoder.Decode(Legacy(data, secondMagicAfterFirstBlock: true)));
    }

    [Fact]
    public void A_truncated_stream_says_it_is_truncated()
    {
        var stream = Legacy(Sample(100_000));
        var error = Assert.Throws<InvalidDataException>(() => Lz4LegacyDecoder.Decode(stream.AsSpan(0, stream.Length - 10)));
        Assert.Contains("truncated", error.Message);
        error = Assert.Throws<InvalidDataException>(() => Lz4LegacyDecoder.Decode([.. stream, 0x01, 0x02]));
        Assert.Contains("block header", error.Message);
    }

    [Fact]
    public void A_corrupt_block_and_a_foreign_stream_are_named()
    {
        var stream = Legacy(Sample(100_000));
        stream[8] = 0xFF;
        stream[9] = 0xFF;
        stream[10] = 0xFF;
        Assert.Contains("corrupt", Assert.Throws<InvalidDataException>(() => Lz4LegacyDecoder.Decode(stream)).Message);
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => Lz4LegacyDecoder.Decode("\u0004\"M\u0018 frame"u8)).Message);
    }

    [Fact]
    public void PayloadDecompressor_reports_a_damaged_lz4_payload_instead_of_throwing()
    {
        var stream = Legacy(Sample(50_000));
        byte[] payload = [.. stream.AsSpan(0, stream.Length / 2), 0, 0, 0, 0];
        var result = PayloadDecompressor.Decompress(payload);
        Assert.Equal(PayloadCompression.Lz4, result.Compression);
        Assert.Null(result.Kernel);
        Assert.Contains("cannot be decompressed", result.Problem);
    }
}
