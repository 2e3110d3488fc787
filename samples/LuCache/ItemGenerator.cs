// ItemGenerator: the deterministic items `lucache load` writes and `lucache verify` checks —
// item i of seed S has key "lc:S:i" and a value of 256..4096 bytes drawn from SplitMix64(S, i).
namespace LuCache;

public static class ItemGenerator
{
    public const int MinValue = 256;
    public const int MaxValue = 4096;

    /// <summary>How many items make up <paramref name="mib"/> MiB of values for <paramref name="seed"/>.</summary>
    public static int CountFor(long mib, ulong seed)
    {
        long target = mib << 20, total = 0;
        int count = 0;
        while (total < target) total += ValueLength(seed, count++);
        return count;
    }

    public static byte[] Key(ulong seed, int index) => System.Text.Encoding.ASCII.GetBytes($"lc:{seed}:{index}");

    public static int ValueLength(ulong seed, int index) =>
        MinValue + (int)(Mix(seed * 0x9E37_79B9_7F4A_7C15UL ^ (ulong)index) % (MaxValue - MinValue + 1));

    public static uint Flags(ulong seed, int index) => (uint)(Mix(seed ^ ((ulong)index << 20)) & 0xFFFF);

    public static void FillValue(ulong seed, int index, Span<byte> value)
    {
        ulong state = Mix(seed + 0x632B_E59B_D9B4_E019UL * (ulong)(index + 1));
        int i = 0;
        while (i + 8 <= value.Length)
        {
            state = Mix(state);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(value[i..], state);
            i += 8;
        }
        state = Mix(state);
        for (; i < value.Length; i++, state >>= 8) value[i] = (byte)state;
    }

    public static byte[] Value(ulong seed, int index)
    {
        var value = new byte[ValueLength(seed, index)];
        FillValue(seed, index, value);
        return value;
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E37_79B9_7F4A_7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EBUL;
        return z ^ (z >> 31);
    }
}
