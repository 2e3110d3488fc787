// IndexSnapshot: the arena's index written into the arena's own free tail when the cache is
// frozen for a live update, so the next process rebuilds its index from it instead of scanning
// every record (under QEMU TCG the scan ran at ≈ 45 MB/s: 23 s of blackout at 1 GiB). It lives
// at the write offset (the first free byte, 8-aligned) — no second memfd, and an older lucache
// simply ignores it (the header fields that point at it were reserved, zero, in layout 1).
// The arena header records it (88 u64 offset, 96 u32 entries, 100 u32 block CRC); any state
// change back to Active clears them, and the next append overwrites the block.
//
// Block layout (little-endian):
//   0  u64 magic "LUCSNAP\0"        8  u32 block version (1)     12 u32 entry size (16)
//   16 u64 arena generation         24 u64 write offset (= the block's own offset)
//   32 u64 entry count              40 u64 next CAS
//   48 u64 dead bytes               56 u32 reserved (0)           60 u32 CRC-32C of bytes 0..60 + entries
//   64 entries: u32 record offset · u32 record length · u32 key hash (CRC-32C of the key) · u32 reserved (0)
//
// Trusted only when the block CRC matches, the header's CRC/entries agree, its generation and
// write offset are the arena header's, every entry lies inside the log, 8-aligned, and the
// entries' lengths plus the dead bytes account for the whole log. Records themselves are not
// read here: the arena checks each one's CRC on first use.
using System.Buffers.Binary;

namespace LuCache;

internal static class IndexSnapshot
{
    public const int BlockHeaderSize = 64;
    public const int EntrySize = 16;
    public const uint BlockVersion = 1;
    public static readonly ulong Magic = BinaryPrimitives.ReadUInt64LittleEndian("LUCSNAP\0"u8);

    private const int BMagic = 0, BVersion = 8, BEntrySize = 12, BGeneration = 16, BWriteOffset = 24, BCount = 32,
        BNextCas = 40, BDeadBytes = 48, BCrc = 60;

    /// <summary>What the snapshot describes besides its entries.</summary>
    public readonly record struct State(long Generation, long WriteOffset, ulong NextCas, long DeadBytes);

    public static long SizeFor(long entries) => BlockHeaderSize + EntrySize * entries;

    /// <summary>Writes the block for <paramref name="index"/> into <paramref name="block"/> (exactly SizeFor(count) bytes); returns its CRC.</summary>
    public static uint Write(Span<byte> block, ItemIndex index, in State state)
    {
        var entries = block[BlockHeaderSize..];
        int n = 0;
        for (int slot = 0; slot < index.Capacity; slot++)
        {
            ref var e = ref index[slot];
            if (ItemIndex.IsEmpty(e)) continue;
            var entry = entries.Slice(n * EntrySize, EntrySize);
            BinaryPrimitives.WriteUInt32LittleEndian(entry, (uint)ItemIndex.OffsetOf(e));
            BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], (uint)e.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[8..], e.Hash);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[12..], 0);
            n++;
        }
        var h = block[..BlockHeaderSize];
        BinaryPrimitives.WriteUInt64LittleEndian(h[BMagic..], Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(h[BVersion..], BlockVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(h[BEntrySize..], EntrySize);
        BinaryPrimitives.WriteUInt64LittleEndian(h[BGeneration..], (ulong)state.Generation);
        BinaryPrimitives.WriteUInt64LittleEndian(h[BWriteOffset..], (ulong)state.WriteOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(h[BCount..], (ulong)n);
        BinaryPrimitives.WriteUInt64LittleEndian(h[BNextCas..], state.NextCas);
        BinaryPrimitives.WriteUInt64LittleEndian(h[BDeadBytes..], (ulong)state.DeadBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(h[(BCrc - 4)..], 0);
        uint crc = Crc(block[..(int)SizeFor(n)]);
        BinaryPrimitives.WriteUInt32LittleEndian(h[BCrc..], crc);
        return crc;
    }

    private static uint Crc(ReadOnlySpan<byte> block)
    {
        uint crc = Crc32C.Append(Crc32C.Seed, block[..BCrc]);
        return Crc32C.Finish(Crc32C.Append(crc, block[BlockHeaderSize..]));
    }

    /// <summary>
    /// Rebuilds an index (every entry unverified) from the block the arena header points at, or
    /// says why the block cannot be trusted. <paramref name="arena"/> is the whole arena.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> arena, long offset, long entries, uint headerCrc, long generation, long writeOffset,
        out ItemIndex? index, out State state, out string reason)
    {
        index = null;
        state = default;
        if (offset != writeOffset) { reason = $"at {offset}, not at the write offset {writeOffset}"; return false; }
        long size = SizeFor(entries);
        if (offset + size > arena.Length) { reason = $"of {entries} entries would end past the arena"; return false; }
        var block = arena.Slice((int)offset, (int)size);
        if (BinaryPrimitives.ReadUInt64LittleEndian(block[BMagic..]) != Magic
            || BinaryPrimitives.ReadUInt32LittleEndian(block[BVersion..]) != BlockVersion
            || BinaryPrimitives.ReadUInt32LittleEndian(block[BEntrySize..]) != EntrySize)
        { reason = "damaged (magic or version)"; return false; }
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(block[BCrc..]);
        uint crc = Crc(block);
        if (stored != crc || stored != headerCrc) { reason = $"damaged (CRC-32C 0x{crc:x8}, stored 0x{stored:x8}, header 0x{headerCrc:x8})"; return false; }
        long blockGeneration = (long)BinaryPrimitives.ReadUInt64LittleEndian(block[BGeneration..]);
        if (blockGeneration != generation) { reason = $"from generation {blockGeneration}, the arena is at {generation}"; return false; }
        if ((long)BinaryPrimitives.ReadUInt64LittleEndian(block[BWriteOffset..]) != writeOffset
            || (long)BinaryPrimitives.ReadUInt64LittleEndian(block[BCount..]) != entries)
        { reason = "disagrees with the arena header (write offset or entries)"; return false; }
        state = new State(blockGeneration, writeOffset,
            BinaryPrimitives.ReadUInt64LittleEndian(block[BNextCas..]),
            (long)BinaryPrimitives.ReadUInt64LittleEndian(block[BDeadBytes..]));

        var rebuilt = new ItemIndex((int)entries);
        long live = 0;
        var list = block[BlockHeaderSize..];
        for (int i = 0; i < entries; i++)
        {
            var entry = list.Slice(i * EntrySize, EntrySize);
            long recordOffset = BinaryPrimitives.ReadUInt32LittleEndian(entry);
            long length = BinaryPrimitives.ReadUInt32LittleEndian(entry[4..]);
            if (recordOffset < Arena.HeaderSize || recordOffset % 8 != 0 || length < Arena.RecordHeaderSize + 8 || length % 8 != 0
                || recordOffset + length > writeOffset)
            { reason = $"entry {i} (offset {recordOffset}, length {length}) lies outside the log"; return false; }
            live += length;
            rebuilt.Add(BinaryPrimitives.ReadUInt32LittleEndian(entry[8..]), (int)recordOffset, (int)length, verified: false);
        }
        if (live + state.DeadBytes != writeOffset - Arena.HeaderSize)
        { reason = $"accounts for {live + state.DeadBytes} bytes of a {writeOffset - Arena.HeaderSize}-byte log"; return false; }
        index = rebuilt;
        reason = "";
        return true;
    }
}
