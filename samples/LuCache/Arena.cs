// Arena: the cache's items, laid out in ONE memory region — a shared mapping of a memfd that
// luod preserves across a kexec. After the live update the same memfd comes back, is mapped
// again and attached: nothing is copied, only the in-process index (key hash -> offset) is
// rebuilt — from the index snapshot written at freeze (IndexSnapshot; records are then checked
// lazily, each one's CRC before its first use) or, without a trustworthy snapshot, by scanning
// the items and checking each one's CRC.
//
// Layout (little-endian), version 1:
//
//   offset 0, 128 bytes: header
//     0  u64 magic "LUCACHE\0"          8  u32 layout version (1)     12 u32 header size (128)
//     16 u64 arena size (bytes)         24 u64 generation (+1 on every attach)
//     32 u64 live item count            40 u64 write offset (end of the log)
//     48 u64 dead bytes (reclaimable)   56 u64 next CAS value
//     64 u64 compactions so far         72 u32 state (1 active, 2 frozen)   76 u32 reserved
//     80 i64 last freeze (unix ms)      88 u64 index snapshot offset (0 = none)
//     96 u32 index snapshot entries     100 u32 index snapshot CRC     104..124 reserved (zero)
//     124 u32 CRC-32C of bytes 0..124
//
//   offset 128 .. write offset: records, each 8-byte aligned
//     0  u32 record magic "LUCI"        4  u32 state: "LIVE" | "DEAD" (0 while being written)
//     8  u32 record length (aligned)    12 u16 key length   14 u16 reserved (0)
//     16 u32 value length               20 u32 client flags
//     24 i64 expiry (unix seconds, 0 = never)               32 u64 CAS (unique, increasing)
//     40 u32 CRC-32C of bytes 8..40 + key + value           44 u32 reserved (0)
//     48 key, value, zero padding to 8
//
// Allocation is a log: a set appends a record at the write offset; the record it replaces,
// and a deleted one, are tombstoned in place (state LIVE -> DEAD, outside the CRC, and the two
// state words differ in many bits so a flipped bit makes a record invalid, never LIVE again).
// Dead bytes are counted in the header. When an append does not fit and the dead (and
// expired) bytes would make room, the arena is compacted: the live records are slid down in
// offset order (memmove, destination always below source) and the write offset drops to the
// end of the last one. Only when compaction cannot make room is a set refused (out of memory);
// there is no eviction.
//
// Attach validates, in this order: magic, layout version (an unknown version is refused before
// anything else is trusted), header size, header CRC, arena size = mapping size, write offset.
// Then every record: a bad record header (magic, length) makes the scan resynchronise at the
// next 8-byte boundary that holds a record magic; a bad CRC or state drops the record (it is
// tombstoned and counted, never served); two LIVE records for one key keep the higher CAS.
// With a frozen header pointing at a good index snapshot of its generation, the scan is skipped;
// an entry's record is verified (header, LIVE, CRC, key hash) the first time a lookup meets it,
// and one that fails is dropped from the index and counted, never served.
//
// Not thread-safe: CacheEngine serialises writers and lets readers share.
using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;

namespace LuCache;

/// <summary>The arena cannot be attached (not an arena, unknown layout version, damaged header).</summary>
public sealed class ArenaLayoutException(string message) : Exception(message);

public enum ArenaState : uint
{
    Active = 1,
    Frozen = 2,
}

public enum StoreStatus
{
    Stored,
    /// <summary>No room even after compaction (memcached: SERVER_ERROR out of memory storing object).</summary>
    OutOfMemory,
    /// <summary>The item can never fit (larger than the arena or the item limit).</summary>
    TooLarge,
}

/// <summary>
/// What attaching found: items indexed, records dropped and how long the attach took
/// (<see cref="ScanTime"/>: the scan, or the rebuild from the index snapshot when
/// <see cref="FromSnapshot"/>; then BytesScanned is 0 and damage is found lazily).
/// <see cref="SnapshotNote"/> says why a snapshot was not used (null when it was).
/// </summary>
public sealed record AttachReport(
    long Items,
    long CorruptDropped,
    long DuplicatesDropped,
    long ExpiredDropped,
    long BytesScanned,
    long Generation,
    ArenaState PreviousState,
    long HeaderItemCount,
    TimeSpan ScanTime,
    bool FromSnapshot = false,
    string? SnapshotNote = null);

/// <summary>The index snapshot written at freeze: entries, bytes and how long writing it took; null entries when it did not fit.</summary>
public sealed record SnapshotReport(long Entries, long Bytes, TimeSpan WriteTime, bool Written);

/// <summary>One item's metadata as stored in its record.</summary>
public readonly record struct ItemMeta(uint Flags, long Expiry, ulong Cas, int ValueLength);

public sealed class Arena
{
    public const uint LayoutVersion = 1;
    public const int HeaderSize = 128;
    public const int RecordHeaderSize = 48;
    public const int MaxKeyLength = 250;
    public static readonly ulong Magic = BinaryPrimitives.ReadUInt64LittleEndian("LUCACHE\0"u8);
    internal static readonly uint RecordMagic = BinaryPrimitives.ReadUInt32LittleEndian("LUCI"u8);
    internal static readonly uint LiveState = BinaryPrimitives.ReadUInt32LittleEndian("LIVE"u8);
    internal static readonly uint DeadState = BinaryPrimitives.ReadUInt32LittleEndian("DEAD"u8);

    // Header field offsets.
    private const int HMagic = 0, HVersion = 8, HHeaderSize = 12, HArenaSize = 16, HGeneration = 24, HItemCount = 32,
        HWriteOffset = 40, HDeadBytes = 48, HNextCas = 56, HCompactions = 64, HState = 72, HLastFreeze = 80,
        HSnapshotOffset = 88, HSnapshotEntries = 96, HSnapshotCrc = 100, HCrc = 124;
    // Record field offsets.
    internal const int RMagic = 0, RState = 4, RLength = 8, RKeyLength = 12, RValueLength = 16, RFlags = 20, RExpiry = 24, RCas = 32, RCrc = 40;

    private readonly Memory<byte> _memory;
    private ItemIndex _index = new();
    private long _writeOffset;
    private long _deadBytes;
    private ulong _nextCas;
    private long _compactions;
    private long _generation;
    private ArenaState _state;
    private long _lastFreezeMs;
    private long _lastExpiryPurge = long.MinValue;
    private long _snapshotOffset;
    private long _snapshotEntries;
    private uint _snapshotCrc;
    private long _corruptOnUse;

    private Arena(Memory<byte> memory)
    {
        _memory = memory;
    }

    public long Size => _memory.Length;
    public long WriteOffset => _writeOffset;
    public long DeadBytes => _deadBytes;
    public long FreeBytes => _memory.Length - _writeOffset;
    public long ItemCount => _index.Count;
    public long Compactions => _compactions;
    public long Generation => _generation;
    public ArenaState State => _state;
    public ulong NextCas => _nextCas;
    /// <summary>Records found damaged on first use (after an attach from the index snapshot), dropped, never served.</summary>
    public long CorruptDroppedOnUse => _corruptOnUse;
    /// <summary>Bytes of LIVE records (headers, keys, values, padding).</summary>
    public long LiveBytes => _writeOffset - HeaderSize - _deadBytes;

    private Span<byte> Bytes => _memory.Span;

    public static long RecordLength(int keyLength, long valueLength) => Align8(RecordHeaderSize + keyLength + valueLength);

    private static long Align8(long n) => (n + 7) & ~7L;

    /// <summary>The index's (and the snapshot's) hash of a key: CRC-32C, stable across processes.</summary>
    public static uint KeyHash(ReadOnlySpan<byte> key) => Crc32C.Compute(key);

    /// <summary>Writes an empty arena (generation 1) over <paramref name="memory"/>.</summary>
    public static Arena Format(Memory<byte> memory)
    {
        if (memory.Length < HeaderSize + RecordHeaderSize + 8)
            throw new ArgumentException($"An arena needs at least {HeaderSize + RecordHeaderSize + 8} bytes; got {memory.Length}.", nameof(memory));
        var arena = new Arena(memory)
        {
            _writeOffset = HeaderSize,
            _nextCas = 1,
            _generation = 1,
            _state = ArenaState.Active,
        };
        memory.Span[..HeaderSize].Clear();
        arena.WriteHeader();
        return arena;
    }

    /// <summary>
    /// Attaches to an arena a previous process (or kernel) left in <paramref name="memory"/>:
    /// validates the header, checks every record and rebuilds the index. Corrupt records are
    /// tombstoned and counted; an unknown layout version or a damaged header throws
    /// <see cref="ArenaLayoutException"/> and leaves the bytes untouched.
    /// </summary>
    public static Arena Attach(Memory<byte> memory, long nowUnixSeconds, out AttachReport report, bool useSnapshot = true)
    {
        var stopwatch = Stopwatch.StartNew();
        var span = memory.Span;
        if (span.Length < HeaderSize)
            throw new ArenaLayoutException($"The memory is {span.Length} bytes, smaller than a LuCache arena header ({HeaderSize} bytes).");
        ulong magic = BinaryPrimitives.ReadUInt64LittleEndian(span[HMagic..]);
        if (magic != Magic)
            throw new ArenaLayoutException($"Not a LuCache arena: the magic is 0x{magic:x16}, expected 0x{Magic:x16} (\"LUCACHE\\0\").");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(span[HVersion..]);
        if (version != LayoutVersion)
            throw new ArenaLayoutException(
                $"The arena has layout version {version}; this lucache understands only version {LayoutVersion}. " +
                "Refusing to attach (nothing was changed): run the lucache build that wrote it, or start with a new arena.");
        uint headerSize = BinaryPrimitives.ReadUInt32LittleEndian(span[HHeaderSize..]);
        if (headerSize != HeaderSize)
            throw new ArenaLayoutException($"The arena header claims {headerSize} bytes; layout version 1 has {HeaderSize}.");
        uint storedCrc = BinaryPrimitives.ReadUInt32LittleEndian(span[HCrc..]);
        uint crc = Crc32C.Compute(span[..HCrc]);
        if (storedCrc != crc)
            throw new ArenaLayoutException($"The arena header is damaged: CRC-32C 0x{crc:x8}, stored 0x{storedCrc:x8}. Refusing to attach.");
        long arenaSize = (long)BinaryPrimitives.ReadUInt64LittleEndian(span[HArenaSize..]);
        if (arenaSize != span.Length)
            throw new ArenaLayoutException($"The arena header says {arenaSize} bytes but the mapping is {span.Length} bytes.");
        long writeOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(span[HWriteOffset..]);
        if (writeOffset < HeaderSize || writeOffset > arenaSize || writeOffset % 8 != 0)
            throw new ArenaLayoutException($"The arena's write offset {writeOffset} is outside 128..{arenaSize} or not 8-byte aligned.");

        var arena = new Arena(memory)
        {
            _writeOffset = writeOffset,
            _nextCas = BinaryPrimitives.ReadUInt64LittleEndian(span[HNextCas..]),
            _compactions = (long)BinaryPrimitives.ReadUInt64LittleEndian(span[HCompactions..]),
            _generation = (long)BinaryPrimitives.ReadUInt64LittleEndian(span[HGeneration..]) + 1,
            _lastFreezeMs = BinaryPrimitives.ReadInt64LittleEndian(span[HLastFreeze..]),
        };
        var previousState = (ArenaState)BinaryPrimitives.ReadUInt32LittleEndian(span[HState..]);
        long headerItems = (long)BinaryPrimitives.ReadUInt64LittleEndian(span[HItemCount..]);
        long snapshotOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(span[HSnapshotOffset..]);
        string? note;
        if (!useSnapshot) note = "not used (asked for a full scan)";
        else if (previousState != ArenaState.Frozen) note = $"absent (the arena was left {previousState}, not frozen)";
        else if (snapshotOffset == 0) note = "absent (none was written at freeze)";
        else if (IndexSnapshot.TryRead(span, snapshotOffset, BinaryPrimitives.ReadUInt32LittleEndian(span[HSnapshotEntries..]),
                     BinaryPrimitives.ReadUInt32LittleEndian(span[HSnapshotCrc..]), arena._generation - 1, writeOffset,
                     out var index, out var state, out string reason))
        {
            arena._index = index!;
            arena._deadBytes = state.DeadBytes;
            arena._nextCas = Math.Max(arena._nextCas, state.NextCas);
            arena._state = ArenaState.Active;
            arena.WriteHeader();
            stopwatch.Stop();
            report = new AttachReport(arena.ItemCount, 0, 0, 0, 0, arena._generation, previousState, headerItems, stopwatch.Elapsed,
                FromSnapshot: true);
            return arena;
        }
        else note = reason;
        var (corrupt, duplicates, expired) = arena.Scan(nowUnixSeconds);
        arena._state = ArenaState.Active;
        arena.WriteHeader();
        stopwatch.Stop();
        report = new AttachReport(arena.ItemCount, corrupt, duplicates, expired, writeOffset - HeaderSize, arena._generation,
            previousState, headerItems, stopwatch.Elapsed, FromSnapshot: false, SnapshotNote: "index snapshot " + note);
        return arena;
    }

    private (long Corrupt, long Duplicates, long Expired) Scan(long now)
    {
        var span = Bytes;
        long end = _writeOffset;
        long pos = HeaderSize;
        long corrupt = 0, duplicates = 0, expired = 0, dead = 0;
        ulong maxCas = 0;
        while (pos < end)
        {
            var rec = span[(int)pos..(int)end];
            if (!PlausibleRecordHeader(rec, out int length))
            {
                corrupt++;
                long next = Resync(span, pos + 8, end);
                dead += next - pos;
                pos = next;
                continue;
            }
            uint state = BinaryPrimitives.ReadUInt32LittleEndian(rec[RState..]);
            if (state == DeadState)
            {
                dead += length;
                pos += length;
                continue;
            }
            if (state != LiveState || !CrcMatches(rec))
            {
                corrupt++;
                Tombstone(rec);
                dead += length;
                pos += length;
                continue;
            }
            long expiry = BinaryPrimitives.ReadInt64LittleEndian(rec[RExpiry..]);
            if (expiry != 0 && expiry <= now)
            {
                expired++;
                Tombstone(rec);
                dead += length;
                pos += length;
                continue;
            }
            ulong cas = BinaryPrimitives.ReadUInt64LittleEndian(rec[RCas..]);
            maxCas = Math.Max(maxCas, cas);
            var key = rec.Slice(RecordHeaderSize, BinaryPrimitives.ReadUInt16LittleEndian(rec[RKeyLength..]));
            uint hash = KeyHash(key);
            int slot = FindSlot(key, hash, out _);
            if (slot >= 0)
            {
                duplicates++;
                ref var other = ref _index[slot];
                var otherRec = span[ItemIndex.OffsetOf(other)..];
                if (BinaryPrimitives.ReadUInt64LittleEndian(otherRec[RCas..]) > cas)
                {
                    Tombstone(rec);
                    dead += length;
                    pos += length;
                    continue;
                }
                Tombstone(otherRec);
                dead += other.Length;
                other.Offset = (int)pos;
                other.Length = length;
            }
            else
            {
                _index.Add(hash, (int)pos, length, verified: true);
            }
            pos += length;
        }
        _deadBytes = dead;
        _nextCas = Math.Max(_nextCas, maxCas + 1);
        return (corrupt, duplicates, expired);
    }

    private static bool PlausibleRecordHeader(ReadOnlySpan<byte> rec, out int length)
    {
        length = 0;
        if (rec.Length < RecordHeaderSize) return false;
        if (BinaryPrimitives.ReadUInt32LittleEndian(rec[RMagic..]) != RecordMagic) return false;
        uint len = BinaryPrimitives.ReadUInt32LittleEndian(rec[RLength..]);
        int keyLength = BinaryPrimitives.ReadUInt16LittleEndian(rec[RKeyLength..]);
        uint valueLength = BinaryPrimitives.ReadUInt32LittleEndian(rec[RValueLength..]);
        if (len % 8 != 0 || len < RecordHeaderSize || len > rec.Length) return false;
        if (keyLength == 0 || keyLength > MaxKeyLength) return false;
        if (RecordLength(keyLength, valueLength) != len) return false;
        length = (int)len;
        return true;
    }

    private static long Resync(ReadOnlySpan<byte> span, long pos, long end)
    {
        for (; pos + RecordHeaderSize <= end; pos += 8)
            if (BinaryPrimitives.ReadUInt32LittleEndian(span[(int)pos..]) == RecordMagic)
                return pos;
        return end;
    }

    private static bool CrcMatches(ReadOnlySpan<byte> rec) =>
        BinaryPrimitives.ReadUInt32LittleEndian(rec[RCrc..]) == RecordCrc(rec);

    private static uint RecordCrc(ReadOnlySpan<byte> rec)
    {
        int keyLength = BinaryPrimitives.ReadUInt16LittleEndian(rec[RKeyLength..]);
        int valueLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(rec[RValueLength..]);
        uint crc = Crc32C.Append(Crc32C.Seed, rec[RLength..RCrc]);
        crc = Crc32C.Append(crc, rec.Slice(RecordHeaderSize, keyLength + valueLength));
        return Crc32C.Finish(crc);
    }

    private static void Tombstone(Span<byte> rec) => BinaryPrimitives.WriteUInt32LittleEndian(rec[RState..], DeadState);

    /// <summary>
    /// The slot of <paramref name="key"/>'s entry, or −1. Entries of the same hash not verified yet
    /// are verified on the way (readers may do this concurrently: it only clears a bit); one that
    /// fails is skipped and reported in <paramref name="corruptSeen"/> for <see cref="DropCorrupt"/>.
    /// </summary>
    private int FindSlot(ReadOnlySpan<byte> key, uint hash, out bool corruptSeen)
    {
        corruptSeen = false;
        var span = Bytes;
        for (int slot = _index.Home(hash); ; slot = _index.Next(slot))
        {
            ref var e = ref _index[slot];
            if (ItemIndex.IsEmpty(e)) return -1;
            if (e.Hash != hash) continue;
            int offset = ItemIndex.OffsetOf(e);
            if (ItemIndex.IsUnverified(e))
            {
                if (!RecordIsSound(span, offset, e.Length, hash))
                {
                    corruptSeen = true;
                    continue;
                }
                _index.MarkVerified(slot);
            }
            int keyLength = BinaryPrimitives.ReadUInt16LittleEndian(span[(offset + RKeyLength)..]);
            if (span.Slice(offset + RecordHeaderSize, keyLength).SequenceEqual(key)) return slot;
        }
    }

    /// <summary>The check an unverified entry's record must pass before use: what the scan checks, plus the entry's length and hash.</summary>
    private bool RecordIsSound(ReadOnlySpan<byte> span, int offset, int length, uint hash)
    {
        if (offset + (long)length > _writeOffset) return false;
        var rec = span.Slice(offset, length);
        if (!PlausibleRecordHeader(rec, out int recordLength) || recordLength != length) return false;
        if (BinaryPrimitives.ReadUInt32LittleEndian(rec[RState..]) != LiveState || !CrcMatches(rec)) return false;
        return KeyHash(rec.Slice(RecordHeaderSize, BinaryPrimitives.ReadUInt16LittleEndian(rec[RKeyLength..]))) == hash;
    }

    /// <summary>
    /// Drops every entry of <paramref name="key"/>'s hash whose record fails its check (counted in
    /// <see cref="CorruptDroppedOnUse"/>). With <paramref name="writeArena"/> false (writes paused,
    /// the arena frozen) only the in-process index and counts change, not the arena's bytes.
    /// </summary>
    public int DropCorrupt(ReadOnlySpan<byte> key, bool writeArena)
    {
        uint hash = KeyHash(key);
        var span = Bytes;
        int dropped = 0;
        for (int slot = _index.Home(hash); !ItemIndex.IsEmpty(_index[slot]);)
        {
            ref var e = ref _index[slot];
            if (e.Hash == hash && ItemIndex.IsUnverified(e))
            {
                int offset = ItemIndex.OffsetOf(e);
                if (!RecordIsSound(span, offset, e.Length, hash))
                {
                    if (writeArena) Tombstone(span[offset..]);
                    _deadBytes += e.Length;
                    _index.RemoveAt(slot);
                    _corruptOnUse++;
                    dropped++;
                    continue; // RemoveAt shifted a later entry into this slot (or emptied it)
                }
                _index.MarkVerified(slot);
            }
            slot = _index.Next(slot);
        }
        if (dropped > 0 && writeArena) WriteHeader();
        return dropped;
    }

    /// <summary>Like FindSlot for a writer: a damaged record met on the way is dropped first.</summary>
    private int FindSlotForWrite(ReadOnlySpan<byte> key, uint hash)
    {
        int slot = FindSlot(key, hash, out bool corrupt);
        if (!corrupt) return slot;
        DropCorrupt(key, writeArena: true);
        return FindSlot(key, hash, out _);
    }

    /// <summary>
    /// Finds a live, unexpired item; its value is <see cref="ValueAt"/>(offset). <paramref name="corrupt"/>:
    /// a record of this key's hash failed its first-use check; the caller drops it with <see cref="DropCorrupt"/>.
    /// </summary>
    public bool TryFind(ReadOnlySpan<byte> key, long now, out int offset, out ItemMeta meta, out bool corrupt)
    {
        meta = default;
        offset = 0;
        int slot = FindSlot(key, KeyHash(key), out corrupt);
        if (slot < 0) return false;
        offset = ItemIndex.OffsetOf(_index[slot]);
        var rec = Bytes[offset..];
        long expiry = BinaryPrimitives.ReadInt64LittleEndian(rec[RExpiry..]);
        if (expiry != 0 && expiry <= now) return false;
        meta = new ItemMeta(
            BinaryPrimitives.ReadUInt32LittleEndian(rec[RFlags..]),
            expiry,
            BinaryPrimitives.ReadUInt64LittleEndian(rec[RCas..]),
            (int)BinaryPrimitives.ReadUInt32LittleEndian(rec[RValueLength..]));
        return true;
    }

    public ReadOnlySpan<byte> ValueAt(int offset)
    {
        var rec = Bytes[offset..];
        int keyLength = BinaryPrimitives.ReadUInt16LittleEndian(rec[RKeyLength..]);
        int valueLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(rec[RValueLength..]);
        return rec.Slice(RecordHeaderSize + keyLength, valueLength);
    }

    /// <summary>Appends an item (replacing any item of that key). <paramref name="expiry"/> is absolute unix seconds, 0 = never.</summary>
    public StoreStatus Set(ReadOnlySpan<byte> key, in ReadOnlySequence<byte> value, uint flags, long expiry, long now, out ulong cas)
    {
        cas = 0;
        if (key.Length == 0 || key.Length > MaxKeyLength)
            throw new ArgumentException($"A key is 1..{MaxKeyLength} bytes; got {key.Length}.", nameof(key));
        long length = RecordLength(key.Length, value.Length);
        if (length > _memory.Length - HeaderSize || length > int.MaxValue) return StoreStatus.TooLarge;
        uint hash = KeyHash(key);
        int slot = FindSlotForWrite(key, hash);
        if (_writeOffset + length > _memory.Length)
        {
            // Like memcached: a set that cannot be stored does not leave the old value behind.
            if (slot >= 0)
            {
                RemoveSlot(slot);
                slot = -1;
            }
            MakeRoom(length, now);
            if (_writeOffset + length > _memory.Length)
            {
                WriteHeader();
                return StoreStatus.OutOfMemory;
            }
        }

        int offset = (int)_writeOffset;
        var rec = Bytes.Slice(offset, (int)length);
        BinaryPrimitives.WriteUInt32LittleEndian(rec[RMagic..], RecordMagic);
        BinaryPrimitives.WriteUInt32LittleEndian(rec[RState..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(rec[RLength..], (uint)length);
        BinaryPrimitives.WriteUInt16LittleEndian(rec[RKeyLength..], (ushort)key.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(rec[(RKeyLength + 2)..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(rec[RValueLength..], (uint)value.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(rec[RFlags..], flags);
        BinaryPrimitives.WriteInt64LittleEndian(rec[RExpiry..], expiry);
        cas = _nextCas++;
        BinaryPrimitives.WriteUInt64LittleEndian(rec[RCas..], cas);
        BinaryPrimitives.WriteUInt32LittleEndian(rec[(RCrc + 4)..], 0);
        key.CopyTo(rec[RecordHeaderSize..]);
        value.CopyTo(rec[(RecordHeaderSize + key.Length)..]);
        int used = RecordHeaderSize + key.Length + (int)value.Length;
        rec[used..].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(rec[RCrc..], RecordCrc(rec));
        BinaryPrimitives.WriteUInt32LittleEndian(rec[RState..], LiveState);
        _writeOffset += length;
        if (slot >= 0)
        {
            ref var old = ref _index[slot];
            Tombstone(Bytes[ItemIndex.OffsetOf(old)..]);
            _deadBytes += old.Length;
            old.Offset = offset;
            old.Length = (int)length;
        }
        else
        {
            _index.Add(hash, offset, (int)length, verified: true);
        }
        WriteHeader();
        return StoreStatus.Stored;
    }

    public bool Delete(ReadOnlySpan<byte> key, long now)
    {
        int slot = FindSlotForWrite(key, KeyHash(key));
        if (slot < 0) return false;
        long expiry = BinaryPrimitives.ReadInt64LittleEndian(Bytes[(ItemIndex.OffsetOf(_index[slot]) + RExpiry)..]);
        RemoveSlot(slot);
        WriteHeader();
        return expiry == 0 || expiry > now;
    }

    private void RemoveSlot(int slot)
    {
        ref var e = ref _index[slot];
        Tombstone(Bytes[ItemIndex.OffsetOf(e)..]);
        _deadBytes += e.Length;
        _index.RemoveAt(slot);
    }

    private void MakeRoom(long length, long now)
    {
        long shortfall = _writeOffset + length - _memory.Length;
        if (_deadBytes < shortfall && now != _lastExpiryPurge)
        {
            _lastExpiryPurge = now;
            PurgeExpired(now);
        }
        if (_deadBytes >= shortfall) Compact();
    }

    private void PurgeExpired(long now)
    {
        // An unverified record's expiry is read unchecked: at worst a damaged record is dropped as expired.
        List<(uint Hash, int Offset)>? expired = null;
        var span = Bytes;
        for (int slot = 0; slot < _index.Capacity; slot++)
        {
            ref var e = ref _index[slot];
            if (ItemIndex.IsEmpty(e)) continue;
            int offset = ItemIndex.OffsetOf(e);
            long expiry = BinaryPrimitives.ReadInt64LittleEndian(span[(offset + RExpiry)..]);
            if (expiry != 0 && expiry <= now) (expired ??= []).Add((e.Hash, offset));
        }
        if (expired is null) return;
        foreach (var (hash, offset) in expired) RemoveSlot(_index.FindSlot(hash, offset));
    }

    /// <summary>Slides every live record down over the dead ones; the write offset drops by the dead bytes.</summary>
    public void Compact()
    {
        // Records move in offset order; an entry keeps its unverified bit (its record moves as it is).
        var span = Bytes;
        var order = new long[_index.Count];
        int n = 0;
        for (int slot = 0; slot < _index.Capacity; slot++)
            if (!ItemIndex.IsEmpty(_index[slot])) order[n++] = ((long)ItemIndex.OffsetOf(_index[slot]) << 32) | (uint)slot;
        Array.Sort(order);
        int destination = HeaderSize;
        foreach (long packed in order)
        {
            ref var e = ref _index[(int)(uint)packed];
            int offset = (int)(packed >> 32);
            int length = e.Length;
            if (offset != destination)
            {
                span.Slice(offset, length).CopyTo(span[destination..]);
                e.Offset = destination | (e.Offset & 1);
            }
            destination += length;
        }
        span[destination..(int)_writeOffset].Clear();
        _writeOffset = destination;
        _deadBytes = 0;
        _compactions++;
        WriteHeader();
    }

    public void SetState(ArenaState state)
    {
        _state = state;
        if (state == ArenaState.Frozen) _lastFreezeMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        else ForgetSnapshot();
        WriteHeader();
    }

    private void ForgetSnapshot()
    {
        _snapshotOffset = 0;
        _snapshotEntries = 0;
        _snapshotCrc = 0;
    }

    /// <summary>
    /// Marks the arena frozen and writes the index snapshot at the write offset (when it fits in
    /// the free tail), then the header that points at it. The caller holds writes off until
    /// <see cref="SetState"/>(Active); the next append overwrites the snapshot.
    /// </summary>
    public SnapshotReport Freeze(bool writeSnapshot = true)
    {
        var stopwatch = Stopwatch.StartNew();
        _state = ArenaState.Frozen;
        _lastFreezeMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long size = IndexSnapshot.SizeFor(_index.Count);
        bool written = writeSnapshot && _writeOffset + size <= _memory.Length;
        if (written)
        {
            _snapshotCrc = IndexSnapshot.Write(Bytes.Slice((int)_writeOffset, (int)size), _index,
                new IndexSnapshot.State(_generation, _writeOffset, _nextCas, _deadBytes));
            _snapshotOffset = _writeOffset;
            _snapshotEntries = _index.Count;
        }
        else ForgetSnapshot();
        WriteHeader();
        return new SnapshotReport(_index.Count, written ? size : 0, stopwatch.Elapsed, written);
    }

    /// <summary>Rewrites the header (every field and its CRC) from the in-process state.</summary>
    public uint WriteHeader()
    {
        var h = Bytes[..HeaderSize];
        BinaryPrimitives.WriteUInt64LittleEndian(h[HMagic..], Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(h[HVersion..], LayoutVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(h[HHeaderSize..], HeaderSize);
        BinaryPrimitives.WriteUInt64LittleEndian(h[HArenaSize..], (ulong)_memory.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(h[HGeneration..], (ulong)_generation);
        BinaryPrimitives.WriteUInt64LittleEndian(h[HItemCount..], (ulong)_index.Count);
        BinaryPrimitives.WriteUInt64LittleEndian(h[HWriteOffset..], (ulong)_writeOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(h[HDeadBytes..], (ulong)_deadBytes);
        BinaryPrimitives.WriteUInt64LittleEndian(h[HNextCas..], _nextCas);
        BinaryPrimitives.WriteUInt64LittleEndian(h[HCompactions..], (ulong)_compactions);
        BinaryPrimitives.WriteUInt32LittleEndian(h[HState..], (uint)_state);
        BinaryPrimitives.WriteInt64LittleEndian(h[HLastFreeze..], _lastFreezeMs);
        BinaryPrimitives.WriteUInt64LittleEndian(h[HSnapshotOffset..], (ulong)_snapshotOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(h[HSnapshotEntries..], (uint)_snapshotEntries);
        BinaryPrimitives.WriteUInt32LittleEndian(h[HSnapshotCrc..], _snapshotCrc);
        uint crc = Crc32C.Compute(h[..HCrc]);
        BinaryPrimitives.WriteUInt32LittleEndian(h[HCrc..], crc);
        return crc;
    }

    /// <summary>The offset of a key's record (tests use it to damage one item).</summary>
    internal int? OffsetOf(ReadOnlySpan<byte> key)
    {
        int slot = FindSlot(key, KeyHash(key), out _);
        return slot < 0 ? null : ItemIndex.OffsetOf(_index[slot]);
    }
}
