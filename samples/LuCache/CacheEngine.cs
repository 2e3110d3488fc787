// CacheEngine: get/set/delete/stats over an Arena, thread-safe. Readers share a lock; writers
// (set, delete, compaction) take it exclusively. Writes can be paused for a live update
// (ICacheLifecycle): a paused write waits, asynchronously for the server, until ResumeWrites
// or until WritePauseTimeout passes, then fails with WritesPausedException. Gets never wait
// on the pause. After an attach from the index snapshot a record is checked on first use: one
// that fails is found under the read lock and dropped under the write lock (DropCorrupt), then
// counted in CorruptDropped and reported as a miss — never served.
using System.Buffers;

namespace LuCache;

public sealed class CacheEngineOptions
{
    /// <summary>The largest value accepted (memcached's default item limit is 1 MiB).</summary>
    public int MaxValueBytes { get; init; } = 1 << 20;

    /// <summary>How long a write waits while writes are paused before failing.</summary>
    public TimeSpan WritePauseTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Attach from the index snapshot when a good one is there (false: always scan every record).</summary>
    public bool UseIndexSnapshot { get; init; } = true;
}

/// <summary>A write waited longer than the pause timeout (a live update held writes).</summary>
public sealed class WritesPausedException(TimeSpan waited)
    : Exception($"writes paused for a live update for more than {waited.TotalSeconds:0.###} s")
{
    public TimeSpan Waited { get; } = waited;
}

public sealed class CacheStats
{
    public long Items { get; init; }
    public long ArenaBytes { get; init; }
    public long LiveBytes { get; init; }
    public long DeadBytes { get; init; }
    public long FreeBytes { get; init; }
    public long WriteOffset { get; init; }
    public long Generation { get; init; }
    public long Compactions { get; init; }
    public long Gets { get; init; }
    public long GetHits { get; init; }
    public long GetMisses { get; init; }
    public long Sets { get; init; }
    public long SetFailures { get; init; }
    public long DeleteHits { get; init; }
    public long DeleteMisses { get; init; }
    public long TotalItems { get; init; }
    public bool WritesPaused { get; init; }
    /// <summary>Records found damaged on first use (after an attach from the index snapshot) and dropped.</summary>
    public long CorruptDroppedOnUse { get; init; }
    public AttachReport? Attach { get; init; }
}

public sealed class CacheEngine : ICacheLifecycle, IDisposable
{
    // memcached: an exptime above 30 days is an absolute unix time.
    private const long RelativeExpiryLimit = 60 * 60 * 24 * 30;

    private readonly Arena _arena;
    private readonly CacheEngineOptions _options;
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly object _pauseGate = new();
    private TaskCompletionSource _resumed = NewResumed(completed: true);
    private volatile bool _paused;
    private bool _disposed;
    private long _gets, _hits, _misses, _sets, _setFailures, _deleteHits, _deleteMisses, _totalItems;

    private CacheEngine(Arena arena, CacheEngineOptions options, AttachReport? attach)
    {
        _arena = arena;
        _options = options;
        AttachReport = attach;
    }

    /// <summary>What attaching found (null for a freshly formatted arena).</summary>
    public AttachReport? AttachReport { get; }

    public CacheEngineOptions Options => _options;

    public bool WritesPaused => _paused;

    /// <summary>A new, empty arena over <paramref name="memory"/>.</summary>
    public static CacheEngine Format(Memory<byte> memory, CacheEngineOptions? options = null) =>
        new(Arena.Format(memory), options ?? new CacheEngineOptions(), null);

    /// <summary>Attaches to the arena already in <paramref name="memory"/> (after a restart or a kexec).</summary>
    public static CacheEngine Attach(Memory<byte> memory, CacheEngineOptions? options = null)
    {
        options ??= new CacheEngineOptions();
        var arena = Arena.Attach(memory, options.Time.GetUtcNow().ToUnixTimeSeconds(), out var report, options.UseIndexSnapshot);
        return new CacheEngine(arena, options, report);
    }

    private long Now => _options.Time.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>Copies the value of <paramref name="key"/> into <paramref name="destination"/>; false when absent or expired.</summary>
    public bool TryGet(ReadOnlySpan<byte> key, IBufferWriter<byte> destination, out ItemMeta meta)
    {
        Interlocked.Increment(ref _gets);
        bool corrupt;
        _lock.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (key.Length is 0 or > Arena.MaxKeyLength) corrupt = false;
            else if (_arena.TryFind(key, Now, out int offset, out meta, out corrupt))
            {
                destination.Write(_arena.ValueAt(offset));
                Interlocked.Increment(ref _hits);
                return true;
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }
        if (corrupt) DropCorrupt(key);
        meta = default;
        Interlocked.Increment(ref _misses);
        return false;
    }

    /// <summary>Drops the damaged record(s) a lookup of <paramref name="key"/> met; while writes are paused the arena's bytes are left as frozen.</summary>
    private void DropCorrupt(ReadOnlySpan<byte> key)
    {
        _lock.EnterWriteLock();
        try
        {
            if (!_disposed) _arena.DropCorrupt(key, writeArena: !_paused && _arena.State == ArenaState.Active);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Compares the live item <paramref name="key"/> with an expected value and flags, in place under
    /// the read lock (no copy, not counted as a get); used by <see cref="SeededVerifier"/>.
    /// </summary>
    public ItemComparison CompareItem(ReadOnlySpan<byte> key, ReadOnlySpan<byte> expectedValue, uint expectedFlags)
    {
        bool corrupt = false;
        _lock.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (key.Length is not (0 or > Arena.MaxKeyLength) && _arena.TryFind(key, Now, out int offset, out var meta, out corrupt))
                return meta.Flags == expectedFlags && _arena.ValueAt(offset).SequenceEqual(expectedValue) ? ItemComparison.Same : ItemComparison.Different;
        }
        finally
        {
            _lock.ExitReadLock();
        }
        if (corrupt) DropCorrupt(key);
        return ItemComparison.Missing;
    }

    /// <summary>The value of <paramref name="key"/> as a new array, or null.</summary>
    public byte[]? Get(ReadOnlySpan<byte> key) => Get(key, out _);

    public byte[]? Get(ReadOnlySpan<byte> key, out ItemMeta meta)
    {
        var buffer = new ArrayBufferWriter<byte>();
        return TryGet(key, buffer, out meta) ? buffer.WrittenSpan.ToArray() : null;
    }

    /// <summary>
    /// Stores without waiting: returns false (and stores nothing) when writes are paused.
    /// <paramref name="exptime"/> follows memcached: 0 never, up to 30 days relative seconds, above that unix time, negative already expired.
    /// </summary>
    public bool TrySet(ReadOnlySpan<byte> key, in ReadOnlySequence<byte> value, uint flags, long exptime, out StoreStatus status)
    {
        ValidateKey(key);
        status = StoreStatus.TooLarge;
        if (value.Length > _options.MaxValueBytes)
        {
            // Refused whatever the pause state: nothing would be written.
            Interlocked.Increment(ref _setFailures);
            return true;
        }
        if (!TryEnterWrite(out long now)) return false;
        try
        {
            long expiry = exptime switch
            {
                0 => 0,
                < 0 => -1,
                <= RelativeExpiryLimit => now + exptime,
                _ => exptime,
            };
            if (expiry == -1 || (expiry != 0 && expiry <= now))
            {
                // Stored and already expired, as memcached does: nothing is retrievable, the old value is gone.
                _arena.Delete(key, now);
                status = StoreStatus.Stored;
            }
            else
            {
                status = _arena.Set(key, value, flags, expiry, now, out _);
            }
            Interlocked.Increment(ref _sets);
            if (status == StoreStatus.Stored) Interlocked.Increment(ref _totalItems);
            else Interlocked.Increment(ref _setFailures);
            return true;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Deletes without waiting: null when writes are paused, else whether the key was there.</summary>
    public bool? TryDelete(ReadOnlySpan<byte> key)
    {
        ValidateKey(key);
        if (!TryEnterWrite(out long now)) return null;
        try
        {
            bool deleted = _arena.Delete(key, now);
            Interlocked.Increment(ref deleted ? ref _deleteHits : ref _deleteMisses);
            return deleted;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Stores, waiting (blocking) while writes are paused; throws <see cref="WritesPausedException"/> after the timeout.</summary>
    public StoreStatus Set(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, uint flags = 0, long exptime = 0)
    {
        var sequence = new ReadOnlySequence<byte>(value.ToArray());
        var deadline = _options.Time.GetTimestamp();
        while (true)
        {
            if (TrySet(key, sequence, flags, exptime, out var status)) return status;
            WaitForWritesAsync(deadline, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>Deletes, waiting (blocking) while writes are paused.</summary>
    public bool Delete(ReadOnlySpan<byte> key)
    {
        var deadline = _options.Time.GetTimestamp();
        while (true)
        {
            if (TryDelete(key) is bool deleted) return deleted;
            WaitForWritesAsync(deadline, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// Waits until writes are accepted; throws <see cref="WritesPausedException"/> once
    /// WritePauseTimeout has passed since <paramref name="startTimestamp"/> (from Options.Time.GetTimestamp()).
    /// </summary>
    public async ValueTask WaitForWritesAsync(long startTimestamp, CancellationToken cancellationToken)
    {
        Task resumed;
        lock (_pauseGate) resumed = _resumed.Task;
        if (resumed.IsCompleted) return;
        var remaining = _options.WritePauseTimeout - _options.Time.GetElapsedTime(startTimestamp);
        if (remaining <= TimeSpan.Zero) throw new WritesPausedException(_options.WritePauseTimeout);
        try
        {
            await resumed.WaitAsync(remaining, _options.Time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new WritesPausedException(_options.WritePauseTimeout);
        }
    }

    private bool TryEnterWrite(out long now)
    {
        now = 0;
        if (_paused) return false;
        _lock.EnterWriteLock();
        if (_paused || _disposed)
        {
            bool disposed = _disposed;
            _lock.ExitWriteLock();
            ObjectDisposedException.ThrowIf(disposed, this);
            return false;
        }
        now = Now;
        return true;
    }

    private static void ValidateKey(ReadOnlySpan<byte> key)
    {
        if (key.Length is 0 or > Arena.MaxKeyLength)
            throw new ArgumentException($"A key is 1..{Arena.MaxKeyLength} bytes; got {key.Length}.", nameof(key));
    }

    public void PauseWrites()
    {
        lock (_pauseGate)
        {
            if (_paused) return;
            _resumed = NewResumed(completed: false);
            _paused = true;
        }
        // Every write that got past the check before the flag was set finishes before this returns.
        _lock.EnterWriteLock();
        _lock.ExitWriteLock();
    }

    public void ResumeWrites()
    {
        TaskCompletionSource resumed;
        _lock.EnterWriteLock();
        try
        {
            if (_arena.State != ArenaState.Active) _arena.SetState(ArenaState.Active);
            lock (_pauseGate)
            {
                _paused = false;
                resumed = _resumed;
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
        resumed.TrySetResult();
    }

    public FreezeReport FlushForFreeze()
    {
        PauseWrites();
        _lock.EnterWriteLock();
        try
        {
            var snapshot = _arena.Freeze();
            uint crc = _arena.WriteHeader();
            Thread.MemoryBarrier();
            return new FreezeReport(_arena.ItemCount, _arena.WriteOffset, _arena.DeadBytes, _arena.Generation, crc, snapshot);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Compacts now (normally it happens when an append does not fit); false while writes are paused (a frozen arena is not moved).</summary>
    public bool Compact()
    {
        if (!TryEnterWrite(out _)) return false;
        try { _arena.Compact(); }
        finally { _lock.ExitWriteLock(); }
        return true;
    }

    public CacheStats GetStats()
    {
        _lock.EnterReadLock();
        try
        {
            return new CacheStats
            {
                Items = _arena.ItemCount,
                ArenaBytes = _arena.Size,
                LiveBytes = _arena.LiveBytes,
                DeadBytes = _arena.DeadBytes,
                FreeBytes = _arena.FreeBytes,
                WriteOffset = _arena.WriteOffset,
                Generation = _arena.Generation,
                Compactions = _arena.Compactions,
                Gets = Interlocked.Read(ref _gets),
                GetHits = Interlocked.Read(ref _hits),
                GetMisses = Interlocked.Read(ref _misses),
                Sets = Interlocked.Read(ref _sets),
                SetFailures = Interlocked.Read(ref _setFailures),
                DeleteHits = Interlocked.Read(ref _deleteHits),
                DeleteMisses = Interlocked.Read(ref _deleteMisses),
                TotalItems = Interlocked.Read(ref _totalItems),
                WritesPaused = _paused,
                CorruptDroppedOnUse = _arena.CorruptDroppedOnUse,
                Attach = AttachReport,
            };
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    internal int? OffsetOf(ReadOnlySpan<byte> key)
    {
        _lock.EnterReadLock();
        try { return _arena.OffsetOf(key); }
        finally { _lock.ExitReadLock(); }
    }

    /// <summary>Stops serving; the arena bytes stay as they are (header consistent) for the next attach.</summary>
    public void Dispose()
    {
        _lock.EnterWriteLock();
        try
        {
            if (_disposed) return;
            _disposed = true;
            _arena.WriteHeader();
        }
        finally
        {
            _lock.ExitWriteLock();
        }
        lock (_pauseGate) _resumed.TrySetResult();
    }

    private static TaskCompletionSource NewResumed(bool completed)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (completed) tcs.SetResult();
        return tcs;
    }
}
