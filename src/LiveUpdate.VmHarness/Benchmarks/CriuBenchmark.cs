// CriuBenchmark (`luvm bench-criu`, docs/benchmarks.md "Unmodified programs: CRIU"): Debian's
// memcached across a kernel change three ways, at several sizes, with the floor (a bare kexec of
// the same kernel) measured in the same session: CRIU with its images in memfds luod preserves
// (lucriu, `luoctl update`), CRIU to the guest's virtio disk with a cold reboot (the old way), and
// lucache's zero-copy arena through luod. Runs are interleaved (per repetition, every size: disk,
// memory, lucache) so a slow spell of the host spreads over all of them. The blackout of every way
// is the guest's paused → serving marks on the host's clock (criu starts dumping / lucache pauses
// writes → the cache serves again); luod's own figure and the host client's longest gap are shown
// beside it. For the CRIU-in-memory path the table splits the blackout into its steps.
using System.Globalization;
using System.Text;
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness.Runs;

namespace LiveUpdate.VmHarness.Benchmarks;

public sealed record CriuBenchmarkOptions(IReadOnlyList<int> SizesMiB, int Runs, string Kernel)
{
    public static readonly IReadOnlyList<int> DefaultSizes = [64, 256, 1024];

    public int MemoryMiB { get; init; } = BenchmarkOptions.DefaultMemoryMiB;

    public int FloorRuns { get; init; } = 3;
}

public static class CriuBenchmark
{
    public static readonly ReportSection Section = new(
        "<!-- criu-benchmark: written by `luvm bench-criu`; kept when `luvm bench` rewrites this file -->", "<!-- /criu-benchmark -->");

    /// <summary>The order ways run in, per size and repetition.</summary>
    public static readonly IReadOnlyList<string> Ways = [CriuWays.Disk, CriuWays.Memory, CriuWays.Lucache];

    /// <summary>The CRIU-in-memory path's steps as lucriu prints them, in the order they happen.</summary>
    public static readonly IReadOnlyList<string> MemorySteps = ["dump", "copy-into-memfds", "claim", "copy-back", "restore"];

    public static async Task<(IReadOnlyList<CriuMemcachedResult> Results, double? FloorMs, string Markdown)> RunAsync(
        ScenarioHarness harness, CriuBenchmarkOptions options, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        double? floor = await VmBenchmark.FloorAsync(harness, options.Kernel, options.FloorRuns, options.MemoryMiB, progress, cancellationToken).ConfigureAwait(false);
        progress?.Report($"bench-criu: floor (bare kexec {options.Kernel} → {options.Kernel}, reboot call → /init) median {floor:0} ms");
        var results = new List<CriuMemcachedResult>();
        for (int run = 1; run <= options.Runs; run++)
        {
            foreach (int size in options.SizesMiB)
            {
                foreach (string way in Ways)
                {
                    progress?.Report($"bench-criu: {way}, {size} MiB, run {run}/{options.Runs}");
                    var result = await CriuMemcachedDriver.RunAsync(harness, new CriuMemcachedOptions(way, size, [options.Kernel, options.Kernel])
                    {
                        MemoryMiB = options.MemoryMiB,
                        Timeout = TimeSpan.FromMinutes(15 + size / 32),
                    }, progress, cancellationToken).ConfigureAwait(false);
                    results.Add(result);
                    progress?.Report($"bench-criu: {result.Describe()}");
                }
            }
        }
        return (results, floor, Markdown(results, floor, options, started));
    }

    private static double? Median(IEnumerable<double?> values)
    {
        var list = values.Where(v => v is not null).Select(v => v!.Value).ToList();
        return list.Count == 0 ? null : BenchmarkAnalysis.Median(list);
    }

    private static string Ms(double? ms) => ms is { } v ? v.ToString("0", CultureInfo.InvariantCulture) : "—";

    private static string Ratio(double? a, double? b) => a is { } x && b is { } y && y > 0 ? (x / y).ToString("0.00", CultureInfo.InvariantCulture) : "—";

    public static string Markdown(IReadOnlyList<CriuMemcachedResult> results, double? floorMs, CriuBenchmarkOptions options, DateTimeOffset started)
    {
        var md = new StringBuilder();
        md.AppendLine(Section.Start);
        md.AppendLine("## Unmodified programs: memcached across the kernel update with CRIU");
        md.AppendLine();
        md.AppendLine($"Measured by `luvm bench-criu` on {started:yyyy-MM-dd HH:mm} UTC: {options.Runs} run(s) per case, interleaved (per size: disk, memory, lucache), "
            + $"kernel {options.Kernel} → {options.Kernel}, {options.MemoryMiB} MiB test guest (2 vCPUs, TCG) running Debian sid's root (criu, memcached) as `/`. "
            + "The host loads N MiB of seeded items (256–4096-byte values) through QEMU's port forward, probes every 10 ms, and reads every item back after. "
            + "**Blackout** = the cache stops serving → serves again, on the host's clock (criu starts dumping / lucache pauses writes → criu restore returned / lucache serves). "
            + "**CRIU in memory**: lucriu at freeze runs `criu dump --leave-stopped --tcp-close` into tmpfs and copies the images into memfds luod preserves; `luoctl update` kexecs; "
            + "`lucriu restore` claims them, copies them back to tmpfs and runs `criu restore`. **CRIU to disk** (the old way): `criu dump` to ext4 on the guest's virtio disk + sync, "
            + "cold reboot, `criu restore` from the disk. **lucache**: the same items in lucache's arena memfd through luod (zero copy: it maps the same memfd).");
        md.AppendLine();
        md.AppendLine($"Floor (a bare kexec, nothing preserved: reboot call → next kernel's /init, median of {options.FloorRuns}): **{Ms(floorMs)} ms**.");
        md.AppendLine();
        md.AppendLine("| items | way | blackout ms | × floor | luod's figure ms | client's longest gap ms | images / memfds MiB |");
        md.AppendLine("|---|---|---|---|---|---|---|");
        foreach (int size in options.SizesMiB)
        {
            foreach (string way in Ways)
            {
                var passed = results.Where(r => r.Options.Mib == size && r.Options.Way == way && r.Passed).ToList();
                int failed = results.Count(r => r.Options.Mib == size && r.Options.Way == way && !r.Passed);
                double? blackout = Median(passed.Select(r => r.BlackoutMs));
                md.AppendLine($"| {size} MiB | {WayName(way)}{(failed > 0 ? $" ({failed} failed)" : "")} | {Ms(blackout)} | {Ratio(blackout, floorMs)} | "
                    + $"{Ms(Median(passed.Select(r => r.LuodBlackoutMs)))} | {Ms(Median(passed.Select(r => r.Probe?.LongestGap.TotalMilliseconds)))} | {ImagesMiB(passed)} |");
            }
        }
        md.AppendLine();
        md.AppendLine("Ratios of the blackouts (medians):");
        md.AppendLine();
        md.AppendLine("| items | disk / memory | memory / lucache | disk / lucache |");
        md.AppendLine("|---|---|---|---|");
        foreach (int size in options.SizesMiB)
        {
            double? Of(string way) => Median(results.Where(r => r.Options.Mib == size && r.Options.Way == way && r.Passed).Select(r => r.BlackoutMs));
            md.AppendLine($"| {size} MiB | {Ratio(Of(CriuWays.Disk), Of(CriuWays.Memory))} | {Ratio(Of(CriuWays.Memory), Of(CriuWays.Lucache))} | {Ratio(Of(CriuWays.Disk), Of(CriuWays.Lucache))} |");
        }
        md.AppendLine();
        md.AppendLine("Where the CRIU-in-memory blackout goes (medians; \"kexec, boot, luod\" is the rest: luod's freeze → reboot, the kexec, the next kernel's boot, luod's start and restore):");
        md.AppendLine();
        md.AppendLine("| items | " + string.Join(" | ", MemorySteps) + " | kexec, boot, luod | blackout |");
        md.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---|", MemorySteps.Count + 2)));
        foreach (int size in options.SizesMiB)
        {
            var memory = results.Where(r => r.Options.Mib == size && r.Options.Way == CriuWays.Memory && r.Passed).ToList();
            double? blackout = Median(memory.Select(r => r.BlackoutMs));
            var cells = MemorySteps.Select(step => Median(memory.Select(r => r.StepMs.TryGetValue(step, out var ms) ? ms : (double?)null))).ToList();
            double? rest = blackout is { } b && cells.All(c => c is not null) ? b - cells.Sum(c => c!.Value) : null;
            string Cell(double? ms) => ms is null ? "—" : $"{Ms(ms)} ({Share(ms, blackout)})";
            md.AppendLine($"| {size} MiB | {string.Join(" | ", cells.Select(Cell))} | {Cell(rest)} | {Ms(blackout)} |");
        }
        md.AppendLine();
        md.AppendLine("Per run (the host's load and verify, the programs' own step times, logs):");
        md.AppendLine();
        foreach (var r in results)
            md.AppendLine($"- {r.Describe().ReplaceLineEndings(" ")} (logs {r.Run.RunDirectory}){(r.Passed ? "" : " — " + r.Run.FailureSummary.ReplaceLineEndings(" "))}");
        md.AppendLine(Section.End);
        return md.ToString();
    }

    private static string WayName(string way) => way switch
    {
        CriuWays.Memory => "CRIU in memory (lucriu + luod)",
        CriuWays.Disk => "CRIU to disk + cold reboot",
        _ => "lucache arena (luod, zero copy)",
    };

    private static string Share(double? part, double? whole) =>
        part is { } p && whole is { } w && w > 0 ? (p / w).ToString("0%", CultureInfo.InvariantCulture) : "—";

    private static string ImagesMiB(IReadOnlyList<CriuMemcachedResult> runs)
    {
        var sizes = runs.Select(r => r.ImagesMiB).Where(m => m is not null).Select(m => m!.Value).ToList();
        return sizes.Count == 0 ? "—" : BenchmarkAnalysis.Median(sizes).ToString("0.0", CultureInfo.InvariantCulture);
    }
}
