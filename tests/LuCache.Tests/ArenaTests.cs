// The arena and engine over a real memfd: a round trip as after a kexec (a new engine attached
// to the same memfd), corruption detection, layout versioning, full arena and compaction,
// expiry, and the write pause.
using System.Buffers.Binary;
using System.Text;
using LiveUpdate.Kernel;

namespace LuCache.Tests;

public sealed class ArenaTests
{
    private static byte[] B(string s) => Encoding.ASCII.GetBytes(s);

    [Fact]
    public void RoundTrip_ThroughARealMemFd_ANewEngineServesEveryItemByteForByte()
    {
        const ulong Seed = 7;
        int count = ItemGenerator.CountFor(4, Seed);
        using var memfd = MemFd.Create("lucache-test");
        memfd.SetSize(8 << 20);
        using (var backing = ArenaBacking.Open(memfd))
        using (var engine = CacheEngine.Format(backing.Memory))
        {
            for (int i = 0; i < count; i++)
                Assert.Equal(StoreStatus.Stored, engine.Set(ItemGenerator.Key(Seed, i), ItemGenerator.Value(Seed, i), ItemGenerator.Flags(Seed, i)));
            // Overwrite and delete some, so the scan meets tombstones too.
            for (int i = 0; i < count; i += 10) engine.Set(ItemGenerator.Key(Seed, i), ItemGenerator.Value(Seed, i), ItemGenerator.Flags(Seed, i));
            Assert.True(engine.Delete(B("lc:7:1")));
            engine.FlushForFreeze();
        }

        // As after a kexec: the same memfd, mapped again, attached by a new engine.
        using var again = ArenaBacking.Open(memfd);
        using var attached = CacheEngine.Attach(again.Memory);
        var report = attached.AttachReport!;
        Assert.Equal(count - 1, report.Items);
        Assert.Equal(0, report.CorruptDropped);
        Assert.Equal(ArenaState.Frozen, report.PreviousState);
        Assert.Equal(2, report.Generation);
        for (int i = 0; i < count; i++)
        {
            var value = attached.Get(ItemGenerator.Key(Seed, i), out var meta);
            if (i == 1)
            {
                Assert.Null(value);
                continue;
            }
            Assert.NotNull(value);
            Assert.True(value.AsSpan().SequenceEqual(ItemGenerator.Value(Seed, i)), $"item {i} differs");
            Assert.Equal(ItemGenerator.Flags(Seed, i), meta.Flags);
        }
        // And it keeps working: new writes land after the old ones, CAS keeps growing.
        Assert.Equal(StoreStatus.Stored, attached.Set(B("after"), B("kexec")));
        attached.Get(B("after"), out var afterMeta);
        attached.Get(ItemGenerator.Key(Seed, 2), out var oldMeta);
        Assert.True(afterMeta.Cas > oldMeta.Cas);
    }

    [Fact]
    public void ACorruptItem_IsDroppedAndCounted_NeverServed()
    {
        using var backing = ArenaBacking.Create("lucache-test", 1 << 20);
        int offset;
        using (var engine = CacheEngine.Format(backing.Memory))
        {
            engine.Set(B("a"), B("alpha"));
            engine.Set(B("b"), B("bravo"));
            engine.Set(B("c"), B("charlie"));
            offset = engine.OffsetOf(B("b"))!.Value;
        }
        // Flip one bit of b's value.
        backing.Memory.Span[offset + Arena.RecordHeaderSize + 1 + 2] ^= 0x04;

        using var attached = CacheEngine.Attach(backing.Memory);
        Assert.Equal(1, attached.AttachReport!.CorruptDropped);
        Assert.Null(attached.Get(B("b")));
        Assert.Equal("alpha", Encoding.ASCII.GetString(attached.Get(B("a"))!));
        Assert.Equal("charlie", Encoding.ASCII.GetString(attached.Get(B("c"))!));
        Assert.Equal(2, attached.GetStats().Items);
    }

    [Fact]
    public void ADamagedRecordLength_IsSkippedByResync_AndLaterItemsSurvive()
    {
        using var backing = ArenaBacking.Create("lucache-test", 1 << 20);
        int offset;
        using (var engine = CacheEngine.Format(backing.Memory))
        {
            engine.Set(B("a"), new byte[100]);
            engine.Set(B("b"), new byte[300]);
            engine.Set(B("c"), Enumerable.Range(0, 500).Select(i => (byte)i).ToArray());
            offset = engine.OffsetOf(B("b"))!.Value;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(backing.Memory.Span[(offset + 8)..], 0xFFFF_FFF0);

        using var attached = CacheEngine.Attach(backing.Memory);
        Assert.True(attached.AttachReport!.CorruptDropped >= 1);
        Assert.Null(attached.Get(B("b")));
        Assert.Equal(100, attached.Get(B("a"))!.Length);
        Assert.Equal(Enumerable.Range(0, 500).Select(i => (byte)i).ToArray(), attached.Get(B("c")));
    }

    [Fact]
    public void AfterACrash_AHalfWrittenRecordIsDropped_AndOfTwoLiveCopiesTheNewerWins()
    {
        using var backing = ArenaBacking.Create("lucache-test", 1 << 20);
        int oldCopy, halfWritten;
        using (var engine = CacheEngine.Format(backing.Memory))
        {
            engine.Set(B("k"), B("first"));
            oldCopy = engine.OffsetOf(B("k"))!.Value;
            engine.Set(B("k"), B("second"));
            engine.Set(B("torn"), B("never finished"));
            halfWritten = engine.OffsetOf(B("torn"))!.Value;
            // No freeze: as if the process died between appending and tombstoning.
        }
        BinaryPrimitives.WriteUInt32LittleEndian(backing.Memory.Span[(oldCopy + 4)..], BinaryPrimitives.ReadUInt32LittleEndian("LIVE"u8));
        BinaryPrimitives.WriteUInt32LittleEndian(backing.Memory.Span[(halfWritten + 4)..], 0);

        using var attached = CacheEngine.Attach(backing.Memory);
        var report = attached.AttachReport!;
        Assert.Equal(ArenaState.Active, report.PreviousState);
        Assert.Equal(1, report.DuplicatesDropped);
        Assert.Equal(1, report.CorruptDropped);
        Assert.Equal("second", Encoding.ASCII.GetString(attached.Get(B("k"))!));
        Assert.Null(attached.Get(B("torn")));
        Assert.Equal(1, attached.GetStats().Items);
    }

    [Fact]
    public void TheEngineIsTheLifecycleSeam_FreezeLeavesAFrozenConsistentHeader()
    {
        using var backing = ArenaBacking.Create("lucache-test", 1 << 20);
        using var engine = CacheEngine.Format(backing.Memory);
        ICacheLifecycle lifecycle = engine;
        engine.Set(B("a"), B("1"));
        var frozen = lifecycle.FlushForFreeze();
        Assert.True(lifecycle.WritesPaused);
        Assert.False(engine.Compact());
        Assert.Equal(1, frozen.Items);
        Assert.Equal((uint)ArenaState.Frozen, BinaryPrimitives.ReadUInt32LittleEndian(backing.Memory.Span[72..]));
        Assert.Equal(frozen.HeaderCrc, BinaryPrimitives.ReadUInt32LittleEndian(backing.Memory.Span[124..]));
        lifecycle.ResumeWrites();
        Assert.False(lifecycle.WritesPaused);
        Assert.Equal((uint)ArenaState.Active, BinaryPrimitives.ReadUInt32LittleEndian(backing.Memory.Span[72..]));
        Assert.Equal(StoreStatus.Stored, engine.Set(B("b"), B("2")));
    }

    [Fact]
    public void AnUnknownLayoutVersion_IsRefusedWithAClearMessage_AndLeftUntouched()
    {
        using var backing = ArenaBacking.Create("lucache-test", 1 << 20);
        using (var engine = CacheEngine.Format(backing.Memory)) engine.Set(B("k"), B("v"));
        BinaryPrimitives.WriteUInt32LittleEndian(backing.Memory.Span[8..], 2);
        var before = backing.Memory.Span[..4096].ToArray();

        var e = Assert.Throws<ArenaLayoutException>(() => CacheEngine.Attach(backing.Memory));
        Assert.Contains("layout version 2", e.Message);
        Assert.Contains("only version 1", e.Message);
        Assert.True(before.AsSpan().SequenceEqual(backing.Memory.Span[..4096]));
    }

    [Fact]
    public void ADamagedHeaderOrForeignMemory_IsRefused()
    {
        using var backing = ArenaBacking.Create("lucache-test", 1 << 20);
        using (CacheEngine.Format(backing.Memory)) { }
        backing.Memory.Span[40] ^= 1; // write offset, covered by the header CRC
        Assert.Contains("header is damaged", Assert.Throws<ArenaLayoutException>(() => CacheEngine.Attach(backing.Memory)).Message);

        using var empty = ArenaBacking.Create("lucache-test", 1 << 20);
        Assert.Contains("Not a LuCache arena", Assert.Throws<ArenaLayoutException>(() => CacheEngine.Attach(empty.Memory)).Message);
    }

    [Fact]
    public void AFullArena_RefusesWithOutOfMemory_AndCompactionReclaimsDeletedSpace()
    {
        using var backing = ArenaBacking.Create("lucache-test", 64 * 1024);
        using var engine = CacheEngine.Format(backing.Memory);
        var value = new byte[1000];
        int stored = 0;
        while (engine.Set(B($"k{stored}"), value) == StoreStatus.Stored) stored++;
        Assert.InRange(stored, 55, 64);
        Assert.Equal(StoreStatus.OutOfMemory, engine.Set(B("one-more"), value));

        for (int i = 0; i < stored; i += 2) Assert.True(engine.Delete(B($"k{i}")));
        for (int i = 0; i < stored / 2; i++) Assert.Equal(StoreStatus.Stored, engine.Set(B($"n{i}"), value));
        var stats = engine.GetStats();
        Assert.True(stats.Compactions >= 1);
        for (int i = 1; i < stored; i += 2) Assert.Equal(1000, engine.Get(B($"k{i}"))!.Length);

        // Compacted and reattached: everything still there.
        engine.FlushForFreeze();
        using var attached = CacheEngine.Attach(backing.Memory);
        Assert.Equal(stats.Items, attached.AttachReport!.Items);
        Assert.Equal(0, attached.AttachReport.CorruptDropped);
    }

    [Fact]
    public void OverwritingOneKeyForever_DoesNotLeakSpace()
    {
        using var backing = ArenaBacking.Create("lucache-test", 32 * 1024);
        using var engine = CacheEngine.Format(backing.Memory);
        for (int i = 0; i < 20_000; i++)
            Assert.Equal(StoreStatus.Stored, engine.Set(B("hot"), Encoding.ASCII.GetBytes($"value number {i} ").Concat(new byte[i % 900]).ToArray()));
        Assert.StartsWith("value number 19999 ", Encoding.ASCII.GetString(engine.Get(B("hot"))!));
        Assert.Equal(1, engine.GetStats().Items);
        Assert.True(engine.GetStats().Compactions > 10);
    }

    [Fact]
    public void ExpiredItems_AreNotServed_AndAreDroppedOnAttach()
    {
        var time = new ManualTime(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        var options = new CacheEngineOptions { Time = time };
        using var backing = ArenaBacking.Create("lucache-test", 1 << 20);
        using (var engine = CacheEngine.Format(backing.Memory, options))
        {
            engine.Set(B("short"), B("x"), exptime: 10);
            engine.Set(B("absolute"), B("y"), exptime: 1_800_000_100);
            engine.Set(B("never"), B("z"));
            engine.Set(B("negative"), B("w"), exptime: -1);
            Assert.Null(engine.Get(B("negative")));
            time.Advance(TimeSpan.FromSeconds(11));
            Assert.Null(engine.Get(B("short")));
            Assert.NotNull(engine.Get(B("absolute")));
        }
        time.Advance(TimeSpan.FromSeconds(100));
        using var attached = CacheEngine.Attach(backing.Memory, options);
        Assert.Equal(2, attached.AttachReport!.ExpiredDropped);
        Assert.Equal("z", Encoding.ASCII.GetString(attached.Get(B("never"))!));
    }

    [Fact]
    public async Task PauseWrites_BlocksSetsButNotGets_UntilResume()
    {
        using var backing = ArenaBacking.Create("lucache-test", 1 << 20);
        using var engine = CacheEngine.Format(backing.Memory, new CacheEngineOptions { WritePauseTimeout = TimeSpan.FromSeconds(20) });
        engine.Set(B("k"), B("before"));
        engine.PauseWrites();
        var set = Task.Run(() => engine.Set(B("k"), B("after")));
        await Task.Delay(200);
        Assert.False(set.IsCompleted);
        Assert.Equal("before", Encoding.ASCII.GetString(engine.Get(B("k"))!));
        var frozen = engine.FlushForFreeze();
        Assert.Equal(1, frozen.Items);
        engine.ResumeWrites();
        Assert.Equal(StoreStatus.Stored, await set.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("after", Encoding.ASCII.GetString(engine.Get(B("k"))!));
    }

    [Fact]
    public void APausedWrite_FailsAfterTheTimeout_WithAClearError()
    {
        using var backing = ArenaBacking.Create("lucache-test", 1 << 20);
        using var engine = CacheEngine.Format(backing.Memory, new CacheEngineOptions { WritePauseTimeout = TimeSpan.FromMilliseconds(150) });
        engine.PauseWrites();
        var e = Assert.Throws<WritesPausedException>(() => engine.Set(B("k"), B("v")));
        Assert.Contains("paused for a live update", e.Message);
        Assert.Throws<WritesPausedException>(() => engine.Delete(B("k")));
        engine.ResumeWrites();
        Assert.Equal(StoreStatus.Stored, engine.Set(B("k"), B("v")));
    }
}

internal sealed class ManualTime(DateTimeOffset now) : TimeProvider
{
    private DateTimeOffset _now = now;
    public override DateTimeOffset GetUtcNow() => _now;
    public void Advance(TimeSpan by) => _now += by;
}
