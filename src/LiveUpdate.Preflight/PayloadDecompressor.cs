// PayloadDecompressor: turns a bzImage payload back into the kernel (vmlinux.bin) whatever
// the compressor, all in process, so `luoctl check` and luod's preflight need no decompressor
// program: gzip (System.IO.Compression), bzip2 (SharpZipLib), lz4 legacy frames (our guest
// kernels' choice; K4os.Compression.LZ4), xz with its x86 BCJ filter (XzContainer), lzma
// "alone" (SharpCompress) and zstd (ZstdSharp.Port). LZO cannot be decompressed: that is
// reported, not thrown.
using System.Buffers.Binary;
using System.IO.Compression;
using ICSharpCode.SharpZipLib.BZip2;
using SharpCompress.Compressors.LZMA;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace LiveUpdate.Preflight;

/// <summary>The decompressed kernel, or why it could not be had.</summary>
public sealed record DecompressedPayload(PayloadCompression Compression, byte[]? Kernel, string? Problem, TimeSpan Elapsed);

public static class PayloadDecompressor
{
    public static DecompressedPayload Decompress(ReadOnlyMemory<byte> payload)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var compression = PayloadCompressionDetector.Detect(payload.Span);
        string name = PayloadCompressionDetector.Name(compression);
        ReadOnlyMemory<byte> stream = payload;
        uint? expectedSize = null;
        if (PayloadCompressionDetector.HasSizeTrailer(compression) && payload.Length > 4)
        {
            expectedSize = BinaryPrimitives.ReadUInt32LittleEndian(payload.Span[^4..]);
            stream = payload[..^4];
        }

        // No more than the image says (plus one byte, to tell a mismatch) and never past MaxKernelBytes:
        // a damaged or hostile payload of a few bytes must not decompress for minutes (found by fuzzing).
        // A kernel compresses at most ~10:1 (lzma -9 of vmlinux is ~5:1), so MaxExpansion bounds the time too.
        long limit = Math.Min(Math.Min(expectedSize is { } expected ? expected + 1L : long.MaxValue, MaxKernelBytes),
            Math.Max((long)payload.Length * MaxExpansion, 1L << 20));
        try
        {
            byte[]? kernel = compression switch
            {
                PayloadCompression.Gzip => Inflate(new GZipStream(AsStream(stream), CompressionMode.Decompress), limit),
                PayloadCompression.Bzip2 => DecodeBzip2(stream, limit),
                PayloadCompression.Xz => XzContainer.Decode(stream),
                PayloadCompression.Lzma => DecodeLzmaAlone(stream, limit),
                PayloadCompression.Lz4 => Lz4LegacyDecoder.Decode(stream.Span),
                PayloadCompression.Zstd => DecodeZstd(stream, limit),
                _ => null,
            };
            if (kernel is null)
            {
                string problem = compression == PayloadCompression.Lzo
                    ? "the payload is LZO-compressed (CONFIG_KERNEL_LZO), which this tool cannot decompress"
                    : $"the payload starts with bytes {Convert.ToHexString(payload.Span[..Math.Min(6, payload.Length)])}, which match no kernel compressor";
                return new(compression, null, problem, started.Elapsed);
            }
            if (expectedSize is { } size && size != (uint)kernel.Length)
                return new(compression, null, $"the {name} payload decompressed to {kernel.Length} bytes but the image says {size}: the image is damaged", started.Elapsed);
            return new(compression, kernel, null, started.Elapsed);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or ICSharpCode.SharpZipLib.SharpZipBaseException or SharpCompress.Common.SharpCompressException or ZstdException)
        {
            return new(compression, null, $"the {name} payload cannot be decompressed: {e.Message}", started.Elapsed);
        }
    }

    /// <summary>The .lzma "alone" format `lzma -9` writes: 5 property bytes, the u64 size (all ones: unknown, then an end marker), LZMA data.</summary>
    private static byte[] DecodeLzmaAlone(ReadOnlyMemory<byte> lzma, long limit)
    {
        const int HeaderSize = 13;
        if (lzma.Length < HeaderSize) throw new InvalidDataException("the lzma header is truncated");
        long size = BinaryPrimitives.ReadInt64LittleEndian(lzma.Span[5..HeaderSize]);
        return Inflate(LzmaStream.Create(lzma.Span[..5].ToArray(), AsStream(lzma[HeaderSize..]), lzma.Length - HeaderSize, size, null, isLzma2: false, leaveOpen: false), limit);
    }

    /// <summary>zstd frames; `zstd -22 --ultra` may use windows up to 128 MiB, so decoding allows the format's largest (2^31).</summary>
    private static byte[] DecodeZstd(ReadOnlyMemory<byte> zstd, long limit)
    {
        var decompressing = new DecompressionStream(AsStream(zstd), bufferSize: 0, checkEndOfStream: true, leaveOpen: false);
        decompressing.SetParameter(ZSTD_dParameter.ZSTD_d_windowLogMax, 31);
        return Inflate(decompressing, limit);
    }

    /// <summary>
    /// bzip2; SharpZipLib's decoder indexes out of its tables, or follows a table it never built
    /// (NullReferenceException), on some damaged blocks (both found by fuzzing): damage in the
    /// payload, not a bug here, so both are answered as damage.
    /// </summary>
    private static byte[] DecodeBzip2(ReadOnlyMemory<byte> bzip2, long limit)
    {
        try
        {
            return Inflate(new BZip2InputStream(AsStream(bzip2)), limit);
        }
        catch (IndexOutOfRangeException)
        {
            throw new InvalidDataException("the bzip2 stream is damaged (a block's Huffman tables point outside the block)");
        }
        catch (NullReferenceException)
        {
            throw new InvalidDataException("the bzip2 stream is damaged (a block uses a Huffman table it never defined)");
        }
    }

    private static Stream AsStream(ReadOnlyMemory<byte> bytes) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(bytes, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(bytes.ToArray(), writable: false);

    /// <summary>The largest kernel the preflight decompresses: Debian's vmlinux is under 100 MiB.</summary>
    public const long MaxKernelBytes = 256L * 1024 * 1024;

    /// <summary>How many times its own size a payload may decompress to (at least 1 MiB).</summary>
    public const long MaxExpansion = 64;

    private static byte[] Inflate(Stream decompressing, long limit)
    {
        using (decompressing)
        {
            using var output = new MemoryStream();
            byte[] chunk = new byte[81920];
            int read;
            while ((read = decompressing.Read(chunk)) > 0)
            {
                output.Write(chunk, 0, read);
                if (output.Length >= limit)
                    throw new InvalidDataException($"it decompresses past {limit} bytes (the least of the size trailer, {MaxKernelBytes} bytes, and {MaxExpansion} times the payload), larger than any kernel it could hold: the payload is damaged");
            }
            return output.ToArray();
        }
    }
}
