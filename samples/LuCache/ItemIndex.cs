// ItemIndex: the arena's in-process index, key hash -> record (offset, length), as an
// open-addressing table (linear probing, backward-shift deletion) that holds no keys: a
// candidate's key is compared in the arena itself. Why not Dictionary<byte[], int>: rebuilding
// that needs every key read out of the arena and copied to the heap, a touch of every record's
// page; this table is rebuilt from the index snapshot (IndexSnapshot) alone, so an attach after
// a kexec reads no item bytes. An entry restored from a snapshot is marked unverified (bit 0 of
// its offset; records are 8-byte aligned) until the arena has checked its record's CRC on first
// use. The hash is CRC-32C of the key (Arena.KeyHash): stable across processes, because the
// snapshot stores it. Not thread-safe (the arena's callers serialise writers; readers only clear
// the unverified bit, all to the same value).
namespace LuCache;

internal sealed class ItemIndex
{
    public struct Entry
    {
        public uint Hash;
        /// <summary>Record offset; 0 = empty slot; bit 0 set = not verified yet.</summary>
        public int Offset;
        public int Length;
    }

    private const int UnverifiedBit = 1;
    private Entry[] _slots;
    private int _shift;
    private int _count;

    public ItemIndex(int expectedCount = 0)
    {
        int capacity = 16;
        while (capacity < (long)expectedCount * 2) capacity <<= 1;
        _slots = new Entry[capacity];
        _shift = 32 - System.Numerics.BitOperations.Log2((uint)capacity);
    }

    public int Count => _count;

    /// <summary>Number of slots; iterate 0..Capacity-1 and skip <see cref="IsEmpty"/>.</summary>
    public int Capacity => _slots.Length;

    public ref Entry this[int slot] => ref _slots[slot];

    public int Home(uint hash) => (int)((hash * 0x9E37_79B9u) >> _shift);

    public int Next(int slot) => (slot + 1) & (_slots.Length - 1);

    public static bool IsEmpty(in Entry e) => e.Offset == 0;

    public static int OffsetOf(in Entry e) => e.Offset & ~UnverifiedBit;

    public static bool IsUnverified(in Entry e) => (e.Offset & UnverifiedBit) != 0;

    public void MarkVerified(int slot) => _slots[slot].Offset &= ~UnverifiedBit;

    /// <summary>Adds an entry (the caller knows the key is not indexed yet).</summary>
    public void Add(uint hash, int offset, int length, bool verified)
    {
        if ((long)(_count + 1) * 2 > _slots.Length) Grow();
        Insert(_slots, hash, verified ? offset : offset | UnverifiedBit, length);
        _count++;
    }

    private void Insert(Entry[] slots, uint hash, int offsetWithBit, int length)
    {
        int slot = Home(hash);
        while (!IsEmpty(slots[slot])) slot = (slot + 1) & (slots.Length - 1);
        slots[slot] = new Entry { Hash = hash, Offset = offsetWithBit, Length = length };
    }

    private void Grow()
    {
        var old = _slots;
        _slots = new Entry[old.Length * 2];
        _shift--;
        foreach (var e in old)
            if (!IsEmpty(e)) Insert(_slots, e.Hash, e.Offset, e.Length);
    }

    /// <summary>The slot holding the entry of <paramref name="hash"/> at <paramref name="offset"/>, or −1.</summary>
    public int FindSlot(uint hash, int offset)
    {
        for (int slot = Home(hash); !IsEmpty(_slots[slot]); slot = Next(slot))
            if (_slots[slot].Hash == hash && OffsetOf(_slots[slot]) == offset) return slot;
        return -1;
    }

    /// <summary>Removes the entry in <paramref name="slot"/>, shifting later entries of its probe run back.</summary>
    public void RemoveAt(int slot)
    {
        int hole = slot;
        int j = slot;
        while (true)
        {
            j = Next(j);
            if (IsEmpty(_slots[j])) break;
            int home = Home(_slots[j].Hash);
            // The entry at j may move into the hole unless its home lies cyclically in (hole, j].
            bool stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
            if (stays) continue;
            _slots[hole] = _slots[j];
            hole = j;
        }
        _slots[hole] = default;
        _count--;
    }
}
