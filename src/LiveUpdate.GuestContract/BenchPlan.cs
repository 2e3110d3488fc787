// BenchPlan: the hop list of the blackout benchmark (`luvm bench`, docs/benchmarks.md), computed
// from the lu.bench.* words of the kernel command line (GuestCommandLineKeys). Part of the guest
// contract, so luvm and lu-guest derive the same case for every hop from the same few parameters;
// only the parameters travel on the command line, never the list.
// The luodpath case (lu.bench.luodpath=MODES, off by default) is the path users take: luod plus
// lucache holding N MiB, through `luoctl update`.
// Repetitions are interleaved (run 1 of every case, then run 2, ...) so a slow spell of the host
// spreads over all cases instead of skewing one.
using System.Globalization;

namespace LiveUpdate.GuestContract;

/// <summary>What one benchmark hop measures.</summary>
public enum BenchKind
{
    /// <summary>A bare kexec of the same kernel, nothing preserved.</summary>
    Floor,

    /// <summary>One memfd of SizeMiB preserved directly through /dev/liveupdate, 4 KiB pages or shmem THP.</summary>
    Memfd,

    /// <summary>N managed sessions of 10 small memfds through luod; luod start → all handed back.</summary>
    Luod,

    /// <summary>The old way: the data saved to a file on a virtio disk, cold reboot, reloaded.</summary>
    OldWay,

    /// <summary>luod plus lucache holding SizeMiB through `luoctl update`: lucache's pause → serving again in the next kernel.</summary>
    LuodPath,
}

/// <summary>One measured case of one repetition; hop h sets it up, hop h + 1 ends it.</summary>
public sealed record BenchCase(BenchKind Kind, int Run, int SizeMiB = 0, string Mode = "", int Sessions = 0)
{
    public const int FilesPerLuodSession = 10;

    /// <summary>Stable name of the case (without the run): floor, ours.4k.256, ours.thp.2048, luod.10, oldway.64, luodpath.thp.256.</summary>
    public string Id => Kind switch
    {
        BenchKind.Floor => "floor",
        BenchKind.Memfd => $"ours.{Mode}.{SizeMiB}",
        BenchKind.Luod => $"luod.{Sessions}",
        BenchKind.OldWay => $"oldway.{SizeMiB}",
        BenchKind.LuodPath => $"luodpath.{Mode}.{SizeMiB}",
        _ => throw new InvalidOperationException($"unknown bench kind {Kind}"),
    };

    public long Bytes => (long)SizeMiB << 20;

    /// <summary>luodpath: lucache's arena — the items, ≈ 3 % of record headers and keys, and room to spare (one mapping, at most 2 GiB − 1).</summary>
    public int LucacheArenaMib => SizeMiB + SizeMiB / 16 + 16;

    /// <summary>luodpath: lucache's item seed for this case and run (its --seed is a non-negative long; short keys).</summary>
    public long LucacheSeed => (long)(Seed % 1_000_000);

    /// <summary>The stamp seed of this case and run (FNV-1a of the id and run), so data from another hop never verifies.</summary>
    public ulong Seed
    {
        get
        {
            ulong hash = 14695981039346656037;
            foreach (char c in $"{Id}#{Run}")
            {
                hash ^= c;
                hash *= 1099511628211;
            }
            return hash;
        }
    }

    public override string ToString() => $"{Id} run {Run}";
}

public sealed record BenchPlan(IReadOnlyList<int> SizesMiB, int Runs, IReadOnlyList<string> Modes, IReadOnlyList<int> LuodSessions, bool Floor)
{
    /// <summary>
    /// lucache's arena is one mapping (at most 2 GiB − 1) and holds the items plus ≈ 3 % of record
    /// headers and keys: larger luodpath sizes are left out of the plan (the report says so).
    /// </summary>
    public const int LuodPathMaxMiB = 1900;

    /// <summary>Page modes of the luodpath case (lu.bench.luodpath); none = the case is off.</summary>
    public IReadOnlyList<string> LuodPathModes { get; init; } = [];

    /// <summary>Sizes of the luodpath case (lu.bench.luodpath.sizes); null = SizesMiB.</summary>
    public IReadOnlyList<int>? LuodPathSizesMiB { get; init; }

    /// <summary>The sizes the luodpath case runs at: its own list or SizesMiB, without those above <see cref="LuodPathMaxMiB"/>.</summary>
    public IReadOnlyList<int> LuodPathSizes => LuodPathModes.Count == 0 ? [] : [.. (LuodPathSizesMiB ?? SizesMiB).Where(s => s <= LuodPathMaxMiB)];

    /// <summary>Sizes asked of the luodpath case that it cannot hold (above <see cref="LuodPathMaxMiB"/>).</summary>
    public IReadOnlyList<int> LuodPathSkippedSizes => LuodPathModes.Count == 0 ? [] : [.. (LuodPathSizesMiB ?? SizesMiB).Where(s => s > LuodPathMaxMiB)];

    /// <summary>The kexec run: floor, ours and luod's share, on a chain of one kernel.</summary>
    public const string KexecScenario = ScenarioNames.Bench;

    /// <summary>The old way: save to disk, cold reboot, reload (hops crossed by cold reboots).</summary>
    public const string OldWayScenario = ScenarioNames.BenchOldWay;

    public static readonly IReadOnlyList<string> KnownModes = ["4k", "thp"];

    public static readonly BenchPlan Default = new([64, 256, 1024, 2048], 3, KnownModes, [1, 10, 100], Floor: true);

    /// <summary>Cases of the kexec run in hop order: per run, the floor, every mode × size, every luod count, every luodpath mode × size.</summary>
    public IReadOnlyList<BenchCase> KexecCases
    {
        get
        {
            var cases = new List<BenchCase>();
            for (int run = 1; run <= Runs; run++)
            {
                if (Floor) cases.Add(new BenchCase(BenchKind.Floor, run));
                foreach (string mode in Modes)
                    foreach (int size in SizesMiB)
                        cases.Add(new BenchCase(BenchKind.Memfd, run, size, mode));
                foreach (int sessions in LuodSessions)
                    cases.Add(new BenchCase(BenchKind.Luod, run, Sessions: sessions));
                foreach (string mode in LuodPathModes)
                    foreach (int size in LuodPathSizes)
                        cases.Add(new BenchCase(BenchKind.LuodPath, run, size, mode));
            }
            return cases;
        }
    }

    /// <summary>Cases of the old-way run in hop order: per run, every size.</summary>
    public IReadOnlyList<BenchCase> OldWayCases =>
        [.. Enumerable.Range(1, Runs).SelectMany(run => SizesMiB.Select(size => new BenchCase(BenchKind.OldWay, run, size)))];

    /// <summary>The cases of <paramref name="scenario"/> (bench or bench-oldway); hop count = cases + 1.</summary>
    public IReadOnlyList<BenchCase> CasesOf(string scenario) => scenario switch
    {
        KexecScenario => KexecCases,
        OldWayScenario => OldWayCases,
        _ => throw new ArgumentException($"'{scenario}' is not a benchmark scenario ({KexecScenario}, {OldWayScenario})", nameof(scenario)),
    };

    /// <summary>The words for the kernel command line (lu.bench.*), read back by <see cref="FromParameters"/>.</summary>
    public IReadOnlyList<string> Parameters =>
    [
        $"{GuestCommandLineKeys.BenchSizes}={List(SizesMiB)}",
        $"{GuestCommandLineKeys.BenchRuns}={Runs.ToString(CultureInfo.InvariantCulture)}",
        $"{GuestCommandLineKeys.BenchModes}={(Modes.Count == 0 ? "none" : string.Join(',', Modes))}",
        $"{GuestCommandLineKeys.BenchLuod}={List(LuodSessions)}",
        $"{GuestCommandLineKeys.BenchFloor}={(Floor ? 1 : 0)}",
        $"{GuestCommandLineKeys.BenchLuodPath}={(LuodPathModes.Count == 0 ? "none" : string.Join(',', LuodPathModes))}",
        .. (LuodPathSizesMiB is { } own ? new[] { $"{GuestCommandLineKeys.BenchLuodPathSizes}={List(own)}" } : Array.Empty<string>()),
    ];

    /// <summary>Reads the plan from lu.bench.* values (<paramref name="get"/> returns null when a word is absent: the default).</summary>
    public static BenchPlan FromParameters(Func<string, string?> get)
    {
        var plan = new BenchPlan(
            get(GuestCommandLineKeys.BenchSizes) is { } sizes ? ParseList(sizes, GuestCommandLineKeys.BenchSizes) : Default.SizesMiB,
            get(GuestCommandLineKeys.BenchRuns) is { } runs ? ParseCount(runs, GuestCommandLineKeys.BenchRuns) : Default.Runs,
            get(GuestCommandLineKeys.BenchModes) is { } modes ? (modes == "none" ? [] : modes.Split(',', StringSplitOptions.RemoveEmptyEntries)) : Default.Modes,
            get(GuestCommandLineKeys.BenchLuod) is { } luod ? ParseList(luod, GuestCommandLineKeys.BenchLuod) : Default.LuodSessions,
            get(GuestCommandLineKeys.BenchFloor) is { } floor ? floor == "1" : Default.Floor)
        {
            LuodPathModes = get(GuestCommandLineKeys.BenchLuodPath) is { } luodPath ? ParseModes(luodPath) : Default.LuodPathModes,
            LuodPathSizesMiB = get(GuestCommandLineKeys.BenchLuodPathSizes) is { } luodPathSizes ? ParseList(luodPathSizes, GuestCommandLineKeys.BenchLuodPathSizes) : null,
        };
        plan.Validate();
        return plan;
    }

    /// <summary>Throws ArgumentException naming the first unusable parameter.</summary>
    public void Validate()
    {
        if (Runs < 1) throw new ArgumentException($"runs must be 1 or more, not {Runs}");
        if (SizesMiB.Any(s => s < 1 || s > 65536)) throw new ArgumentException($"sizes must be 1..65536 MiB: {List(SizesMiB)}");
        if (LuodSessions.Any(n => n < 1 || n > 1000)) throw new ArgumentException($"luod session counts must be 1..1000: {List(LuodSessions)}");
        if (Modes.Concat(LuodPathModes).FirstOrDefault(m => !KnownModes.Contains(m)) is { } bad) throw new ArgumentException($"unknown page mode '{bad}' (known: {string.Join(", ", KnownModes)})");
        if (LuodPathSizesMiB is { } own && own.Any(s => s < 1 || s > 65536)) throw new ArgumentException($"luodpath sizes must be 1..65536 MiB: {List(own)}");
    }

    /// <summary>lu.bench.luodpath: "none" or "0" (off), "1" (every known mode), or a list of modes.</summary>
    private static string[] ParseModes(string text) => text switch
    {
        "none" or "0" => [],
        "1" => [.. KnownModes],
        _ => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
    };

    private static string List(IReadOnlyList<int> values) =>
        values.Count == 0 ? "none" : string.Join(',', values.Select(v => v.ToString(CultureInfo.InvariantCulture)));

    private static int[] ParseList(string text, string name) => text == "none"
        ? []
        : [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => ParseCount(v, name))];

    private static int ParseCount(string text, string name) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new ArgumentException($"{name}: '{text}' is not a whole number");
}
