// SoakPlan: what every hop of the soak does, derived only from (seed, hop, hop count). The guest
// keeps nothing across a kexec but what LUO carries, so each hop replays the plan from hop 0 to
// learn which sessions (names, files, sizes, content seeds) must arrive, then what to do with
// each: finish it, leave it to become an orphan, carry it on unchanged, or carry it on grown by
// more files; and which new sessions to create. The last hop only finishes and orphans.
namespace LiveUpdate.Guest.Scenarios;

public enum SoakFate { Finish, Orphan, Carry, Grow }

public sealed record SoakFile(string Name, int Bytes, ulong ContentSeed);

public sealed record SoakSession(string Name, IReadOnlyList<SoakFile> Files)
{
    public long Bytes => Files.Sum(f => (long)f.Bytes);
}

public sealed record SoakHop(
    int Hop,
    IReadOnlyList<SoakSession> Arriving,
    IReadOnlyDictionary<string, SoakFate> Fates,
    IReadOnlyList<SoakSession> Created,
    IReadOnlyList<SoakSession> Leaving)
{
    public int Count(SoakFate fate) => Fates.Values.Count(f => f == fate);
}

public static class SoakPlan
{
    public const int MaxLiveSessions = 8;
    public const int MaxFilesPerSession = 12;
    private static readonly int[] FileSizes = [4096, 16384, 65536, 262144];

    /// <summary>Hop <paramref name="hop"/> of a soak of <paramref name="hopCount"/> hops seeded with <paramref name="seed"/>.</summary>
    public static SoakHop For(ulong seed, int hop, int hopCount)
    {
        if (hop < 0 || hop >= hopCount) throw new ArgumentOutOfRangeException(nameof(hop), $"hop {hop} is outside a soak of {hopCount} hops");
        IReadOnlyList<SoakSession> arriving = [];
        for (int h = 0; ; h++)
        {
            var planned = Plan(seed, h, hopCount, arriving);
            if (h == hop) return planned;
            arriving = planned.Leaving;
        }
    }

    private static SoakHop Plan(ulong seed, int hop, int hopCount, IReadOnlyList<SoakSession> arriving)
    {
        var random = new SplitMixRandom(seed ^ (0x9E3779B97F4A7C15UL * (ulong)(hop + 1)));
        bool last = hop == hopCount - 1;
        var fates = new Dictionary<string, SoakFate>(StringComparer.Ordinal);
        var leaving = new List<SoakSession>();
        foreach (var session in arriving.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            int roll = random.Below(10);
            var fate = roll switch { < 2 => SoakFate.Finish, 2 => SoakFate.Orphan, < 6 => SoakFate.Carry, _ => SoakFate.Grow };
            if (last && fate is SoakFate.Carry or SoakFate.Grow) fate = SoakFate.Finish;
            if (fate == SoakFate.Grow && session.Files.Count >= MaxFilesPerSession) fate = SoakFate.Carry;
            fates[session.Name] = fate;
            if (fate == SoakFate.Carry) leaving.Add(session);
            if (fate == SoakFate.Grow)
            {
                int more = 1 + random.Below(3);
                leaving.Add(session with { Files = [.. session.Files, .. NewFiles(seed, session.Name, session.Files.Count, Math.Min(more, MaxFilesPerSession - session.Files.Count), random)] });
            }
        }
        var created = new List<SoakSession>();
        if (!last)
        {
            int room = MaxLiveSessions - leaving.Count;
            int count = Math.Min(room, hop == 0 ? 3 : random.Below(3));
            for (int k = 0; k < count; k++)
            {
                string name = $"h{hop}s{k}";
                created.Add(new SoakSession(name, NewFiles(seed, name, 0, 1 + random.Below(4), random)));
            }
        }
        return new SoakHop(hop, arriving, fates, created, [.. leaving, .. created]);
    }

    private static List<SoakFile> NewFiles(ulong seed, string session, int firstIndex, int count, SplitMixRandom random)
    {
        var files = new List<SoakFile>();
        for (int i = firstIndex; i < firstIndex + count; i++)
        {
            string name = $"f{i}";
            files.Add(new SoakFile(name, FileSizes[random.Below(FileSizes.Length)], ContentSeed(seed, session, name)));
        }
        return files;
    }

    /// <summary>The seed of a file's bytes: FNV-1a of "session/file" mixed with the soak's seed.</summary>
    private static ulong ContentSeed(ulong seed, string session, string file)
    {
        ulong hash = 0xCBF29CE484222325UL;
        foreach (char c in $"{session}/{file}") hash = (hash ^ c) * 0x100000001B3UL;
        return new SplitMixRandom(seed ^ hash).Next();
    }

    /// <summary>SplitMix64: a few lines, the same numbers on every runtime and every hop.</summary>
    private sealed class SplitMixRandom(ulong state)
    {
        public ulong Next()
        {
            ulong z = state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public int Below(int bound) => (int)(Next() % (ulong)bound);
    }
}
