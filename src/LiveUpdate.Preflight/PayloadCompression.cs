// PayloadCompression: which compressor built a bzImage payload, told by its magic bytes, and
// whether the kernel's Makefile appended the 4-byte decompressed size (size_append) after it:
// arch/x86/boot/compressed/Makefile uses cmd_gzip plainly and *_with_size for all the others.
namespace LiveUpdate.Preflight;

public enum PayloadCompression
{
    Unknown,
    Gzip,
    Bzip2,
    Lzma,
    Xz,
    Lzo,
    Lz4,
    Zstd,
}

public static class PayloadCompressionDetector
{
    public static PayloadCompression Detect(ReadOnlySpan<byte> payload) => payload switch
    {
        [0x1F, 0x8B, ..] => PayloadCompression.Gzip,
        [(byte)'B', (byte)'Z', (byte)'h', ..] => PayloadCompression.Bzip2,
        [0xFD, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00, ..] => PayloadCompression.Xz,
        [0x89, (byte)'L', (byte)'Z', (byte)'O', 0x00, ..] => PayloadCompression.Lzo,
        [0x02, 0x21, 0x4C, 0x18, ..] => PayloadCompression.Lz4,
        [0x28, 0xB5, 0x2F, 0xFD, ..] => PayloadCompression.Zstd,
        // lzma "alone": properties byte 0x5D (lc=3 lp=0 pb=2, what `lzma -9` writes), then the dictionary size.
        [0x5D, 0x00, 0x00, ..] => PayloadCompression.Lzma,
        _ => PayloadCompression.Unknown,
    };

    /// <summary>True when the kernel build appends the u32 LE decompressed size after the compressed stream.</summary>
    public static bool HasSizeTrailer(PayloadCompression compression) =>
        compression is not (PayloadCompression.Gzip or PayloadCompression.Unknown);

    /// <summary>Lower-case name as in CONFIG_KERNEL_&lt;NAME&gt; and in operator messages.</summary>
    public static string Name(PayloadCompression compression) => compression.ToString().ToLowerInvariant();
}
