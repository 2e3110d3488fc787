// MemFdContent: fills a memfd from a SeededPattern and hashes a memfd's contents, both
// through a shared mapping in 64 MiB windows so large files never need a heap copy.
using System.Security.Cryptography;
using LiveUpdate.Kernel;

namespace LiveUpdate.Guest;

public static class MemFdContent
{
    private const int Window = 64 << 20;

    /// <summary>Sizes the memfd to <paramref name="length"/> and fills it; returns the SHA-256 of what was written.</summary>
    public static string Fill(MemFd memfd, ulong seed, long length)
    {
        memfd.SetSize(length);
        var pattern = new SeededPattern(seed);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (long offset = 0; offset < length; offset += Window)
        {
            int size = (int)Math.Min(Window, length - offset);
            using var mapping = memfd.Map(offset, size, writable: true);
            Span<byte> span = mapping.GetSpan();
            pattern.Fill(span);
            hash.AppendData(span);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>SHA-256 of the memfd's whole contents, read through a read-only mapping.</summary>
    public static string Sha256(MemFd memfd)
    {
        long length = memfd.Size;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (long offset = 0; offset < length; offset += Window)
        {
            int size = (int)Math.Min(Window, length - offset);
            using var mapping = memfd.Map(offset, size, writable: false);
            hash.AppendData(mapping.GetSpan());
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
