// SeededPattern: reproducible pseudo-random bytes (xoshiro256** seeded by splitmix64), so
// the guest can fill a memfd before a kexec and both sides can know its SHA-256 without
// storing the data anywhere else.
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace LiveUpdate.Guest;

public sealed class SeededPattern
{
    private ulong _s0, _s1, _s2, _s3;

    public SeededPattern(ulong seed)
    {
        _s0 = SplitMix(ref seed);
        _s1 = SplitMix(ref seed);
        _s2 = SplitMix(ref seed);
        _s3 = SplitMix(ref seed);
    }

    /// <summary>Fills <paramref name="destination"/> with the next bytes of the stream (length must be a multiple of 8).</summary>
    public void Fill(Span<byte> destination)
    {
        if (destination.Length % 8 != 0)
            throw new ArgumentException("length must be a multiple of 8", nameof(destination));
        Span<ulong> words = MemoryMarshal.Cast<byte, ulong>(destination);
        for (int i = 0; i < words.Length; i++)
            words[i] = BitConverter.IsLittleEndian ? Next() : BinaryPrimitives.ReverseEndianness(Next());
    }

    /// <summary>SHA-256 of the first <paramref name="length"/> bytes of the stream for <paramref name="seed"/>.</summary>
    public static string Sha256Of(ulong seed, long length)
    {
        var pattern = new SeededPattern(seed);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] chunk = new byte[1 << 20];
        for (long done = 0; done < length; done += chunk.Length)
        {
            int size = (int)Math.Min(chunk.Length, length - done);
            pattern.Fill(chunk.AsSpan(0, size));
            hash.AppendData(chunk, 0, size);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private ulong Next()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    private static ulong SplitMix(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
