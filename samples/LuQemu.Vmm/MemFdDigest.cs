// MemFdDigest: SHA-256 of a memfd's whole content, read with pread in 4 MiB pieces (no mapping
// of a possibly multi-GiB file). Used with --verify-ram: the VM's RAM after the vCPU stop and
// after the claim in the next kernel must hash the same.
using System.Security.Cryptography;
using LiveUpdate.Kernel;

namespace LuQemu;

public static class MemFdDigest
{
    public static string Sha256(MemFd memfd)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[4 << 20];
        long size = memfd.Size;
        for (long offset = 0; offset < size; offset += buffer.Length)
        {
            int length = (int)Math.Min(buffer.Length, size - offset);
            int read = memfd.Read(buffer.AsSpan(0, length), offset);
            hash.AppendData(buffer, 0, read);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
