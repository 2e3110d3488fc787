// SeededVerifier: checks in process, at memory speed, that the cache holds exactly the items
// `lucache load --mib M --seed S` (and ArenaPreload) would write — every key of ItemGenerator's
// sequence is looked up in the engine's own index and its value and flags compared with the
// generated ones. The server answers `verify-seeded <mib> <seed>` with it, because the TCP
// `lucache verify` manages only ≈ 2 MiB/s inside a TCG guest (the blackout benchmark's luodpath
// case verifies up to 1.8 GiB). Locking: the engine's read lock is taken per item, so gets go on
// in parallel and a set/delete waits at most one item's comparison; items written while the walk
// runs are seen or not depending on where the walk is (run it while the cache is otherwise idle
// for a meaningful answer, as the benchmark does).
using System.Diagnostics;

namespace LuCache;

/// <summary>The result of comparing one stored item with its expected value.</summary>
public enum ItemComparison { Same, Missing, Different }

/// <summary>What an in-process verification found; <see cref="Verified"/> + <see cref="Missing"/> + <see cref="Wrong"/> = <see cref="Items"/>.</summary>
public sealed record SeededVerifyReport(int Items, int Verified, int Missing, int Wrong, TimeSpan Elapsed)
{
    public bool AllVerified => Missing == 0 && Wrong == 0 && Verified == Items;
}

public static class SeededVerifier
{
    /// <summary>Compares items 0..CountFor(<paramref name="mib"/>, <paramref name="seed"/>) − 1; <paramref name="log"/> gets the first few bad keys.</summary>
    public static SeededVerifyReport Verify(CacheEngine engine, long mib, ulong seed, TextWriter? log = null)
    {
        var stopwatch = Stopwatch.StartNew();
        int count = ItemGenerator.CountFor(mib, seed);
        var value = new byte[ItemGenerator.MaxValue];
        Span<byte> key = stackalloc byte[64];
        int verified = 0, missing = 0, wrong = 0;
        for (int i = 0; i < count; i++)
        {
            if (!System.Text.Unicode.Utf8.TryWrite(key, $"lc:{seed}:{i}", out int keyLength))
                throw new InvalidOperationException($"key of item {i} does not fit its buffer");
            int length = ItemGenerator.ValueLength(seed, i);
            ItemGenerator.FillValue(seed, i, value.AsSpan(0, length));
            switch (engine.CompareItem(key[..keyLength], value.AsSpan(0, length), ItemGenerator.Flags(seed, i)))
            {
                case ItemComparison.Same:
                    verified++;
                    break;
                case ItemComparison.Missing:
                    if (++missing <= 5) log?.WriteLine($"lucache: verify-seeded: missing lc:{seed}:{i}");
                    break;
                default:
                    if (++wrong <= 5) log?.WriteLine($"lucache: verify-seeded: wrong bytes or flags for lc:{seed}:{i}");
                    break;
            }
        }
        return new SeededVerifyReport(count, verified, missing, wrong, stopwatch.Elapsed);
    }
}
