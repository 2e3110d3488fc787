// Crc32C: CRC-32C (Castagnoli) over spans, on the CPU's CRC32 instruction through
// System.Numerics.BitOperations.Crc32C (SSE4.2 on x64, CRC32 on arm64, a table otherwise).
// Why not System.IO.Hashing: it is served (10.0.14), but its CRCs are CRC-32 (IEEE, zlib's) and
// CRC-64, not CRC-32C, and its XxHash3 is no CRC; CRC-32C is in the base library, is what ext4,
// btrfs and iSCSI use to catch exactly this kind of damage (torn or flipped bytes, not an
// adversary), and runs at several GB/s, so checking every item on attach is cheap.
using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;

namespace LuCache;

internal static class Crc32C
{
    public const uint Seed = 0xFFFF_FFFFu;

    /// <summary>Continues a running CRC (start with <see cref="Seed"/>, finish with <see cref="Finish"/>).</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 32)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data[8..]));
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data[16..]));
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data[24..]));
            data = data[32..];
        }
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (byte b in data) crc = BitOperations.Crc32C(crc, b);
        return crc;
    }

    public static uint Append(uint crc, in ReadOnlySequence<byte> data)
    {
        if (data.IsSingleSegment) return Append(crc, data.FirstSpan);
        foreach (var segment in data) crc = Append(crc, segment.Span);
        return crc;
    }

    public static uint Finish(uint crc) => ~crc;

    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Seed, data));
}
