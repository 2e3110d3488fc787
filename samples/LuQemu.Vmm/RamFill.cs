// RamFill: fills a VM's RAM memfd with pseudo-random bytes before the VM boots (luqemu --fill-ram SEED).
// The small test VM touches only a few MiB of its RAM; a migration to a file skips zero pages, so
// an empty RAM would make the old way (the whole VM saved to disk) look cheaper than a VM whose
// memory is in use. Filled RAM puts every page in the stream. A 1 MiB block from xorshift64* is
// written at every MiB with the MiB's index in its first 8 bytes, so no two MiB are equal.
using System.Buffers.Binary;
using LiveUpdate.Kernel;

namespace LuQemu;

public static class RamFill
{
    public static void Fill(MemFd ram, ulong seed)
    {
        var block = new byte[1 << 20];
        ulong state = seed | 1;
        for (int i = 0; i < block.Length; i += 8)
        {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            BinaryPrimitives.WriteUInt64LittleEndian(block.AsSpan(i), state * 0x2545F4914F6CDD1DUL);
        }
        long size = ram.Size;
        for (long offset = 0, index = 0; offset < size; offset += block.Length, index++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(block, index ^ (long)seed);
            ram.Write(block.AsSpan(0, (int)Math.Min(block.Length, size - offset)), offset);
        }
    }
}
