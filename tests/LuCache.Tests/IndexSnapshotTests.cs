// The index snapshot written at freeze, over real memfds as after a kexec (the same memfd,
// mapped again): attaching from it serves what a full scan serves; a damaged snapshot or one of
// another generation falls back to the scan; a damaged record is caught on first use, dropped
// and counted; a cancelled update loses no write; and attaching from it is much faster.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using LiveUpdate.Kernel;
using Xunit.Abstractions;

namespace LuCache.Tests;

public sealed class IndexSnapshotTests(ITestOutputHelper output)
{
    private static byte[] B(string s) => Encoding.ASCII.GetBytes(s);
    private static string S(byte[]? b) => b is null ? "<null>" : Encoding.ASCII.GetString(b);

    private static MemFd NewMemFd(long bytes)
    {
        var memfd = MemFd.Create("lucache-snapshot-test");
        memfd.SetSize(bytes);
        return memfd;
    }

    private static FreezeReport FillAndFreeze(MemFd memfd, ulong seed, int count)
    {
        using var backing = ArenaBacking.Open(memfd);
        using var engine = CacheEngine.Format(backing.Memory);
        for (int i = 0; i < count; i++)
            Assert.Equal(StoreStatus.Stored, engine.Set(ItemGenerator.Key(seed, i), ItemGenerator.Value(seed, i), ItemGenerator.Flags(seed, i)));
        for (int i = 0; i < count; i += 10) engine.Set(ItemGenerator.Key(seed, i), ItemGenerator.Value(seed, i), ItemGenerator.Flags(seed, i));
        Assert.True(engine.Delete(ItemGenerator.Key(seed, 1)));
        return engine.FlushForFreeze();
    }

    private static void AssertAllItems(CacheEngine engine, ulong seed, int count)
    {
        for (int i = 0; i < count; i++)
        {
            var value = engine.Get(ItemGenerator.Key(seed, i), out var meta);
            if (i == 1)
            {
                Assert.Null(value);
                continue;
            }
            Assert.NotNull(value);
            Assert.True(value.AsSpan().SequenceEqual(ItemGenerator.Value(seed, i)), $"item {i} differs");
            Assert.Equal(ItemGenerator.Flags(seed, i), meta.Flags);
        }
    }

    [Fact]
    public void AttachFromTheSnapshot_ServesTheSameItemsAsAFullScan_AndKeepsWorking()
    {
        const ulong Seed = 11;
        int count = ItemGenerator.CountFor(4, Seed);
        using var memfd = NewMemFd(8 << 20);
        var frozen = FillAndFreeze(memfd, Seed, count);
        Assert.True(frozen.Snapshot!.Written);
        Assert.Equal(count - 1, frozen.Snapshot.Entries);

        using (var backing = ArenaBacking.Open(memfd))
        using (var fromSnapshot = CacheEngine.Attach(backing.Memory))
        {
            var report = fromSnapshot.AttachReport!;
            Assert.True(report.FromSnapshot, report.SnapshotNote);
            Assert.Equal(count - 1, report.Items);
            Assert.Equal(0, report.BytesScanned);
            Assert.Equal(2, report.Generation);
            AssertAllItems(fromSnapshot, Seed, count);
            Assert.Equal(0, fromSnapshot.GetStats().CorruptDroppedOnUse);
            fromSnapshot.FlushForFreeze();
        }

        using (var backing = ArenaBacking.Open(memfd))
        using (var scanned = CacheEngine.Attach(backing.Memory, new CacheEngineOptions { UseIndexSnapshot = false }))
        {
            var report = scanned.AttachReport!;
            Assert.False(report.FromSnapshot);
            Assert.Contains("full scan", report.SnapshotNote);
            Assert.Equal(count - 1, report.Items);
            Assert.Equal(0, report.CorruptDropped);
            AssertAllItems(scanned, Seed, count);
            scanned.FlushForFreeze();
        }

        // From the snapshot again, then writes (over the old snapshot's bytes), a compaction that
        // moves still-unverified records, and another attach from a new snapshot.
        using (var backing = ArenaBacking.Open(memfd))
        using (var engine = CacheEngine.Attach(backing.Memory))
        {
            Assert.True(engine.AttachReport!.FromSnapshot);
            Assert.Equal(StoreStatus.Stored, engine.Set(B("after"), B("kexec")));
            Assert.True(engine.Delete(ItemGenerator.Key(Seed, 3)));
            Assert.True(engine.Compact());
            Assert.Equal("kexec", S(engine.Get(B("after"))));
            Assert.Null(engine.Get(ItemGenerator.Key(Seed, 3)));
            engine.Set(ItemGenerator.Key(Seed, 3), ItemGenerator.Value(Seed, 3), ItemGenerator.Flags(Seed, 3));
            engine.FlushForFreeze();
        }
        using (var backing = ArenaBacking.Open(memfd))
        using (var engine = CacheEngine.Attach(backing.Memory))
        {
            Assert.True(engine.AttachReport!.FromSnapshot, engine.AttachReport.SnapshotNote);
            Assert.Equal(count, engine.AttachReport.Items);
            AssertAllItems(engine, Seed, count);
            Assert.Equal("kexec", S(engine.Get(B("after"))));
        }
    }

    [Fact]
    public void ADamagedSnapshot_FallsBackToTheFullScan()
    {
        const ulong Seed = 12;
        int count = ItemGenerator.CountFor(1, Seed);
        using var memfd = NewMemFd(4 << 20);
        var frozen = FillAndFreeze(memfd, Seed, count);
        using var backing = ArenaBacking.Open(memfd);
        // One byte of an entry, past the block header.
        backing.Memory.Span[(int)frozen.WriteOffset + IndexSnapshot.BlockHeaderSize + 16 * 3 + 9] ^= 0x20;

        using var engine = CacheEngine.Attach(backing.Memory);
        var report = engine.AttachReport!;
        Assert.False(report.FromSnapshot);
        Assert.Contains("damaged", report.SnapshotNote);
        Assert.Equal(count - 1, report.Items);
        Assert.Equal(frozen.WriteOffset - Arena.HeaderSize, report.BytesScanned);
        AssertAllItems(engine, Seed, count);
    }

    [Fact]
    public void ADamagedRecord_WithAGoodSnapshot_IsDroppedOnGetAndCounted_NeverServed()
    {
        using var backing = ArenaBacking.Create("lucache-test", 1 << 20);
        int b, d;
        using (var engine = CacheEngine.Format(backing.Memory))
        {
            engine.Set(B("a"), B("alpha"));
            engine.Set(B("b"), B("bravo"));
            engine.Set(B("c"), B("charlie"));
            engine.Set(B("d"), B("delta"));
            b = engine.OffsetOf(B("b"))!.Value;
            d = engine.OffsetOf(B("d"))!.Value;
            Assert.True(engine.FlushForFreeze().Snapshot!.Written);
        }
        backing.Memory.Span[b + Arena.RecordHeaderSize + 1 + 2] ^= 0x04;                           // a bit of b's value
        BinaryPrimitives.WriteUInt32LittleEndian(backing.Memory.Span[(d + 8)..], 0xFFFF_FFF0);    // d's record length

        using var attached = CacheEngine.Attach(backing.Memory);
        Assert.True(attached.AttachReport!.FromSnapshot, attached.AttachReport.SnapshotNote);
        Assert.Equal(4, attached.AttachReport.Items);
        Assert.Null(attached.Get(B("b")));
        Assert.Equal(ItemComparison.Missing, attached.CompareItem(B("d"), B("delta"), 0));
        Assert.Equal(2, attached.GetStats().CorruptDroppedOnUse);
        Assert.Equal(2, attached.GetStats().Items);
        Assert.Null(attached.Get(B("b")));
        Assert.Equal(2, attached.GetStats().CorruptDroppedOnUse);
        Assert.Equal("alpha", S(attached.Get(B("a"))));
        Assert.Equal("charlie", S(attached.Get(B("c"))));
        // A new value for the damaged key is served; the dropped record stays dead.
        Assert.Equal(StoreStatus.Stored, attached.Set(B("b"), B("bravo2")));
        Assert.Equal("bravo2", S(attached.Get(B("b"))));
        attached.FlushForFreeze();
        using var again = CacheEngine.Attach(backing.Memory, new CacheEngineOptions { UseIndexSnapshot = false });
        Assert.Equal(3, again.AttachReport!.Items);
        Assert.Equal("bravo2", S(again.Get(B("b"))));
        Assert.Null(again.Get(B("d")));
    }

    [Fact]
    public void ASnapshotFromAPreviousGeneration_IsIgnored()
    {
        const ulong Seed = 13;
        int count = ItemGenerator.CountFor(1, Seed);
        using var memfd = NewMemFd(4 << 20);
        var first = FillAndFreeze(memfd, Seed, count);
        using var backing = ArenaBacking.Open(memfd);
        var span = backing.Memory.Span;
        int at = (int)first.WriteOffset;
        var generation1 = span.Slice(at, (int)first.Snapshot!.Bytes).ToArray();

        using (var second = CacheEngine.Attach(backing.Memory))
        {
            Assert.True(second.AttachReport!.FromSnapshot);
            var frozen = second.FlushForFreeze(); // generation 2, same write offset (nothing was written)
            Assert.Equal(first.WriteOffset, frozen.WriteOffset);
            Assert.Equal(2, frozen.Generation);
        }
        // Put generation 1's (self-consistent) block back and make the header point at it.
        generation1.CopyTo(span[at..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[100..], BinaryPrimitives.ReadUInt32LittleEndian(generation1.AsSpan(60)));
        BinaryPrimitives.WriteUInt32LittleEndian(span[124..], Crc32C.Compute(span[..124]));

        using var third = CacheEngine.Attach(backing.Memory);
        var report = third.AttachReport!;
        Assert.False(report.FromSnapshot);
        Assert.Contains("generation 1", report.SnapshotNote);
        Assert.Equal(3, report.Generation);
        Assert.Equal(count - 1, report.Items);
        AssertAllItems(third, Seed, count);
    }

    [Fact]
    public void ACancelledUpdate_LeavesTheSnapshotUnused_AndLosesNoWrite()
    {
        using var memfd = NewMemFd(1 << 20);
        using (var backing = ArenaBacking.Open(memfd))
        using (var engine = CacheEngine.Format(backing.Memory))
        {
            ICacheLifecycle lifecycle = engine;
            for (int i = 0; i < 50; i++) engine.Set(B($"k{i}"), B($"v{i}"));
            lifecycle.PauseWrites();
            var frozen = lifecycle.FlushForFreeze();
            Assert.True(frozen.Snapshot!.Written);
            Assert.Equal("v7", S(engine.Get(B("k7"))));
            lifecycle.ResumeWrites();
            Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(backing.Memory.Span[88..]));
            // Writes after the resume land over the unused snapshot and are indexed.
            for (int i = 50; i < 100; i++) Assert.Equal(StoreStatus.Stored, engine.Set(B($"k{i}"), B($"v{i}")));
            engine.Set(B("k3"), B("three"));
            Assert.True(engine.Delete(B("k4")));
            for (int i = 0; i < 100; i++) Assert.Equal(i == 4 ? "<null>" : i == 3 ? "three" : $"v{i}", S(engine.Get(B($"k{i}"))));
            // Gone without a freeze (a crash): the next attach must scan.
        }
        using (var backing = ArenaBacking.Open(memfd))
        using (var engine = CacheEngine.Attach(backing.Memory))
        {
            Assert.False(engine.AttachReport!.FromSnapshot);
            Assert.Equal(99, engine.AttachReport.Items);
            Assert.Equal("three", S(engine.Get(B("k3"))));
            engine.FlushForFreeze();
        }
        using (var backing = ArenaBacking.Open(memfd))
        using (var engine = CacheEngine.Attach(backing.Memory))
        {
            Assert.True(engine.AttachReport!.FromSnapshot, engine.AttachReport.SnapshotNote);
            for (int i = 0; i < 100; i++) Assert.Equal(i == 4 ? "<null>" : i == 3 ? "three" : $"v{i}", S(engine.Get(B($"k{i}"))));
        }
    }

    [Fact]
    public void Timing_Attaching64MiBFromTheSnapshot_IsMuchFasterThanTheFullScan()
    {
        const ulong Seed = 5;
        const int Mib = 64;
        using var memfd = NewMemFd((Mib + Mib / 4 + 16) << 20);
        SnapshotReport written;
        int items;
        using (var backing = ArenaBacking.Open(memfd))
        using (var engine = CacheEngine.Format(backing.Memory))
        {
            items = ArenaPreload.Fill(engine, Mib, Seed).Items;
            written = engine.FlushForFreeze().Snapshot!;
        }
        Assert.True(written.Written);
        double bestSnapshot = double.MaxValue, bestScan = double.MaxValue, bestWrite = written.WriteTime.TotalMilliseconds;
        for (int round = 0; round < 3; round++)
        {
            foreach (bool useSnapshot in new[] { true, false })
            {
                // A new mapping each time, as after a kexec (the scan pays its page faults too).
                using var backing = ArenaBacking.Open(memfd);
                var stopwatch = Stopwatch.StartNew();
                using var engine = CacheEngine.Attach(backing.Memory, new CacheEngineOptions { UseIndexSnapshot = useSnapshot });
                double ms = stopwatch.Elapsed.TotalMilliseconds;
                Assert.Equal(useSnapshot, engine.AttachReport!.FromSnapshot);
                Assert.Equal(items, engine.AttachReport.Items);
                Assert.True(engine.Get(ItemGenerator.Key(Seed, items / 2)).AsSpan().SequenceEqual(ItemGenerator.Value(Seed, items / 2)));
                if (useSnapshot) bestSnapshot = Math.Min(bestSnapshot, ms);
                else bestScan = Math.Min(bestScan, ms);
                bestWrite = Math.Min(bestWrite, engine.FlushForFreeze().Snapshot!.WriteTime.TotalMilliseconds);
            }
        }
        output.WriteLine($"{Mib} MiB, {items} items: snapshot write {bestWrite:0.00} ms, attach from snapshot {bestSnapshot:0.00} ms, full scan {bestScan:0.00} ms ({bestScan / bestSnapshot:0.0}x)");
        Assert.True(bestScan >= 3 * bestSnapshot, $"attach from snapshot {bestSnapshot:0.00} ms vs full scan {bestScan:0.00} ms");
    }
}
