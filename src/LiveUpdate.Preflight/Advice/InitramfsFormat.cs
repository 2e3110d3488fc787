// InitramfsFormat: how an initramfs file is stored, told by its first bytes — an uncompressed
// cpio ("070701"/"070702") or one of the compressors the kernel's initramfs unpacker knows. The
// next kernel decompresses a compressed one on the blackout path; 7.2's purgatory hashes its bytes.
namespace LiveUpdate.Preflight.Advice;

public static class InitramfsFormat
{
    public static string Detect(ReadOnlySpan<byte> head) => head switch
    {
        [(byte)'0', (byte)'7', (byte)'0', (byte)'7', (byte)'0', (byte)'1' or (byte)'2', ..] => "cpio",
        [0x02, 0x21, 0x4C, 0x18, ..] => "lz4",
        [0x04, 0x22, 0x4D, 0x18, ..] => "lz4-frame",
        [0x1F, 0x8B, ..] => "gzip",
        [0xFD, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00, ..] => "xz",
        [0x28, 0xB5, 0x2F, 0xFD, ..] => "zstd",
        [(byte)'B', (byte)'Z', (byte)'h', ..] => "bzip2",
        [0x5D, 0x00, 0x00, ..] => "lzma",
        [0x89, (byte)'L', (byte)'Z', (byte)'O', ..] => "lzo",
        _ => "unknown",
    };

    /// <summary>The format of the file at <paramref name="path"/> from its first 8 bytes; null when it cannot be read.</summary>
    public static string? TryDetect(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
            var head = new byte[8];
            int read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            return Detect(head.AsSpan(0, read));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
