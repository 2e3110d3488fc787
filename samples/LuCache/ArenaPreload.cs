// ArenaPreload: fills a fresh cache in process with exactly the items `lucache load` would send
// (ItemGenerator's keys, values and flags), before the server opens. The blackout benchmark
// (`luvm bench`, its luodpath case) needs hundreds of MiB in the arena; over the guest's TCP
// loopback under TCG `load` manages ≈ 2 MiB/s, in process it is the engine's own speed.
// `lucache verify` checks the items afterwards exactly as after a `load`.
using System.Diagnostics;

namespace LuCache;

/// <summary>What a preload put into the arena.</summary>
public sealed record PreloadReport(int Items, long ValueBytes, long WriteOffset, TimeSpan Elapsed);

public static class ArenaPreload
{
    /// <summary>Sets items 0..CountFor(<paramref name="mib"/>, <paramref name="seed"/>) − 1; throws when one does not fit.</summary>
    public static PreloadReport Fill(CacheEngine engine, long mib, ulong seed)
    {
        var stopwatch = Stopwatch.StartNew();
        int count = ItemGenerator.CountFor(mib, seed);
        var value = new byte[ItemGenerator.MaxValue];
        long bytes = 0;
        for (int i = 0; i < count; i++)
        {
            int length = ItemGenerator.ValueLength(seed, i);
            ItemGenerator.FillValue(seed, i, value.AsSpan(0, length));
            var status = engine.Set(ItemGenerator.Key(seed, i), value.AsSpan(0, length), ItemGenerator.Flags(seed, i));
            if (status != StoreStatus.Stored)
                throw new InvalidOperationException($"preload: item {i} of {count} was not stored ({status}); give --arena-mib more room than --preload-mib");
            bytes += length;
        }
        return new PreloadReport(count, bytes, engine.GetStats().WriteOffset, stopwatch.Elapsed);
    }
}
