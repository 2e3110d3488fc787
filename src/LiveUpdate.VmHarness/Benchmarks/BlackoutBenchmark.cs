// BlackoutBenchmark: `luvm bench` (issue 5 part 3). Two VM runs on one kernel and one memory size,
// so every figure can be read as a ratio of another:
//   1. scenario "bench" over a kexec chain: floor, ours (memfds of each size, 4 KiB pages and
//      shmem THP), luod's share (N sessions × 10 memfds) and, with --luodpath, the path users take
//      (luod + lucache holding N MiB through `luoctl update`), interleaved repetitions (BenchPlan);
//   2. scenario "bench-oldway" over cold reboots, with an ext4 disk image made here: the same
//      data saved to disk, the VM rebooted cold (QEMU restarted), reloaded.
// Spans across kexecs and reboots come from the host's clock (GuestLineWatcher stamps each mark
// as it arrives); progress is printed per hop as lines arrive. The kexec run's console log gives
// each boot's initramfs unpack (ConsoleLogAnalysis). BenchmarkAnalysis turns the
// stamps into numbers, BenchmarkReport / BenchmarkPlot write docs/benchmarks.{md,svg,json}.
using System.Text.Json;
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness.Host;
using LiveUpdate.VmHarness.Runs;

namespace LiveUpdate.VmHarness.Benchmarks;

public sealed record BenchmarkOptions(BenchPlan Plan, IReadOnlyList<int> OldWaySizesMiB)
{
    public const int DefaultMemoryMiB = 6144;

    /// <summary>The one kernel of both runs (kexec'd into itself, booted cold into itself).</summary>
    public string Kernel { get; init; } = "7.3";

    public int MemoryMiB { get; init; } = DefaultMemoryMiB;

    /// <summary>Kernels whose floor is measured with and without each lever (BenchmarkLevers); empty = no lever runs.</summary>
    public IReadOnlyList<string> LeverKernels { get; init; } = [];

    /// <summary>Round-robin rounds of the lever runs; each VM run is <see cref="LeverHopsPerRun"/> bare kexecs.</summary>
    public int LeverRounds { get; init; } = 2;

    public const int LeverHopsPerRun = 3;

    /// <summary>The old-way run's plan: the same runs, its own sizes.</summary>
    public BenchPlan OldWayPlan => Plan with { SizesMiB = OldWaySizesMiB };

    /// <summary>
    /// Generous per-run limits under TCG: 3 min per hop, plus 2 min per GiB moved, plus 1 s per luod session,
    /// plus for luodpath 3 min per case (four more process starts, luoctl's check) and 15 min per GiB
    /// (set when `lucache verify` read every item back over TCP at ≈ 1.5 MiB/s under TCG; the bench
    /// now verifies in the server, ≈ 9 s per GiB in the 2026-12-01 run, and the margin was kept for the preload and a busy host).
    /// </summary>
    public TimeSpan TimeoutFor(IReadOnlyList<BenchCase> cases) =>
        TimeSpan.FromMinutes(5)
        + TimeSpan.FromMinutes(3) * (cases.Count + 1)
        + TimeSpan.FromMinutes(2) * (cases.Sum(c => c.SizeMiB) / 1024.0)
        + TimeSpan.FromSeconds(1) * cases.Sum(c => c.Sessions)
        + TimeSpan.FromMinutes(3) * cases.Count(c => c.Kind == BenchKind.LuodPath)
        + TimeSpan.FromMinutes(15) * (cases.Where(c => c.Kind == BenchKind.LuodPath).Sum(c => c.SizeMiB) / 1024.0);
}

public sealed record BenchmarkOutcome(BenchmarkResults Results, VmRunResult KexecRun, VmRunResult? OldWayRun, IReadOnlyList<string> Failures)
{
    public bool Passed => Failures.Count == 0;
}

public static class BlackoutBenchmark
{
    public static readonly HostRequirement Mkfs = new("mkfs.ext4", "e2fsprogs");

    public static async Task<BenchmarkOutcome> RunAsync(ScenarioHarness harness, BenchmarkOptions options, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        options.Plan.Validate();
        var failures = new List<string>();
        var kexecCases = options.Plan.KexecCases;
        var kexecLines = new List<ObservedGuestLine>();
        progress?.Report($"bench: kexec run: {kexecCases.Count} cases on {kexecCases.Count + 1} hops of {options.Kernel}, {options.MemoryMiB} MiB guest ({string.Join(' ', options.Plan.Parameters)})");
        var kexecRun = await RunOneAsync(harness, options, BenchPlan.KexecScenario, options.Plan, kexecCases, diskImage: null, kexecLines, progress, cancellationToken).ConfigureAwait(false);
        if (!kexecRun.Passed) failures.Add(DescribeFailure(kexecRun, kexecCases));

        VmRunResult? oldWayRun = null;
        var oldWayCases = options.OldWayPlan.OldWayCases;
        var oldWayLines = new List<ObservedGuestLine>();
        if (oldWayCases.Count > 0)
        {
            progress?.Report($"bench: old-way run: {oldWayCases.Count} cases on {oldWayCases.Count + 1} cold boots of {options.Kernel}");
            int largestMiB = options.OldWaySizesMiB.Max();
            string disk = await CreateDiskImageAsync(harness.Cache, "oldway", ((long)largestMiB + Math.Max(256, largestMiB / 4)) << 20,
                "The old-way benchmark", progress, cancellationToken).ConfigureAwait(false);
            try
            {
                oldWayRun = await RunOneAsync(harness, options, BenchPlan.OldWayScenario, options.OldWayPlan, oldWayCases, disk, oldWayLines, progress, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                File.Delete(disk);
            }
            if (!oldWayRun.Passed) failures.Add(DescribeFailure(oldWayRun, oldWayCases));
        }

        IReadOnlyList<LeverMeasurement> levers = [];
        if (options.LeverKernels.Count > 0)
        {
            progress?.Report($"bench: lever runs on {string.Join(", ", options.LeverKernels)}: {BenchmarkLevers.Variants(options.LeverKernels).Count} variants × {options.LeverRounds} rounds × {BenchmarkOptions.LeverHopsPerRun} bare kexecs");
            try
            {
                levers = await BenchmarkLevers.RunAsync(harness, options.LeverKernels, options.LeverRounds, BenchmarkOptions.LeverHopsPerRun, options.MemoryMiB, progress, cancellationToken).ConfigureAwait(false);
            }
            catch (HarnessException error)
            {
                // The main runs' numbers still get written; the report says the levers are missing and why.
                failures.Add(error.Message);
            }
        }

        var samples = BenchmarkAnalysis.Samples(kexecCases, Snapshot(kexecLines), ConsoleLogAnalysis.UnpackMsByBoot(kexecRun.RunDirectory)).Concat(BenchmarkAnalysis.Samples(oldWayCases, Snapshot(oldWayLines))).ToList();
        var summaries = BenchmarkAnalysis.Summarize(samples);
        var results = new BenchmarkResults
        {
            Date = DateTimeOffset.UtcNow,
            Machine = await MachineProbe.ReadAsync(cancellationToken).ConfigureAwait(false),
            GuestKernel = kexecRun.Report.Boots.FirstOrDefault()?.Release ?? kexecRun.Kernels.FirstOrDefault()?.Release ?? options.Kernel,
            GuestMemoryMiB = options.MemoryMiB,
            KexecParameters = options.Plan.Parameters,
            OldWayParameters = oldWayCases.Count > 0 ? options.OldWayPlan.Parameters : [],
            Samples = samples,
            Summaries = summaries,
            Slopes = BenchmarkAnalysis.Slopes(samples, summaries),
            Ratios = BenchmarkAnalysis.Ratios(samples, summaries),
            Findings =
            [
                .. BenchmarkAnalysis.Findings(samples, options.Plan.Runs),
                .. options.Plan.LuodPathSkippedSizes.Select(size => $"luodpath: {size} MiB not measured: lucache's arena is one mapping of at most 2 GiB (largest luodpath size {BenchPlan.LuodPathMaxMiB} MiB)"),
                .. failures.Select(f => "FAILED: " + f.Split('\n')[0]),
            ],
            InitramfsBytes = kexecRun.InitramfsBytes,
            Levers = levers,
            RunDirectories = [kexecRun.RunDirectory, .. oldWayRun is null ? Array.Empty<string>() : [oldWayRun.RunDirectory]],
        };
        return new BenchmarkOutcome(results, kexecRun, oldWayRun, failures);
    }

    /// <summary>Writes the markdown report, the SVG plot next to it and the raw JSON.</summary>
    public static async Task WriteAsync(BenchmarkResults results, string markdownPath, CancellationToken cancellationToken)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(markdownPath))!;
        Directory.CreateDirectory(directory);
        string svgPath = Path.ChangeExtension(markdownPath, ".svg"), jsonPath = Path.ChangeExtension(markdownPath, ".json");
        await File.WriteAllTextAsync(svgPath, BenchmarkPlot.Render(results), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(results, BenchmarkJsonContext.Default.BenchmarkResults) + "\n", cancellationToken).ConfigureAwait(false);
        // The VM workload's and CRIU's sections (`luvm bench-vm`, `luvm bench-criu`) are other runs': keep them.
        string existing = File.Exists(markdownPath) ? await File.ReadAllTextAsync(markdownPath, cancellationToken).ConfigureAwait(false) : "";
        string markdown = BenchmarkReport.Markdown(results, Path.GetFileName(svgPath), Path.GetFileName(jsonPath));
        foreach (var section in new[] { VmBenchmark.Section, CriuBenchmark.Section })
            if (section.Of(existing) is { } kept) markdown = section.Merge(markdown, kept);
        await File.WriteAllTextAsync(markdownPath, markdown, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<VmRunResult> RunOneAsync(ScenarioHarness harness, BenchmarkOptions options, string scenario, BenchPlan plan, IReadOnlyList<BenchCase> cases,
        string? diskImage, List<ObservedGuestLine> lines, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var printer = new HopPrinter(cases, progress);
        var request = new VmRunRequest(scenario, Enumerable.Repeat(options.Kernel, cases.Count + 1).ToList())
        {
            Timeout = options.TimeoutFor(cases),
            MemoryMiB = options.MemoryMiB,
            ScenarioParameters = plan.Parameters,
            DiskImage = diskImage,
            ColdRebootBetweenHops = diskImage is not null,
            OnGuestLine = observed =>
            {
                lock (lines) lines.Add(observed);
                printer.Print(observed);
            },
        };
        var run = await harness.RunScenarioAsync(request, cancellationToken).ConfigureAwait(false);
        progress?.Report($"bench: {scenario} {(run.Passed ? "passed" : "FAILED")} after {run.WallTime.TotalMinutes:0.0} min; logs in {run.RunDirectory}");
        return run;
    }

    /// <summary>
    /// A sparse raw image of <paramref name="bytes"/> with an ext4 file system (inode tables initialised now, so no lazy
    /// init writes during the measurement), under cache/bench as &lt;name&gt;-&lt;timestamp&gt;.img, for <paramref name="what"/>.
    /// </summary>
    internal static async Task<string> CreateDiskImageAsync(HarnessCache cache, string name, long bytes, string what, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        HostPrerequisites.Require($"{what} (ext4 disk image)", [Mkfs]);
        string directory = Path.Combine(cache.Root, "bench");
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, $"{name}-{DateTimeOffset.UtcNow:yyyyMMdd-HHmmss}.img");
        await using (var image = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
            image.SetLength(bytes);
        await new ExternalCommand("mkfs.ext4", ["-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", path])
            .CaptureCheckedAsync($"{what} needs an ext4 image; check e2fsprogs and the free space under {directory}.", cancellationToken).ConfigureAwait(false);
        progress?.Report($"bench: ext4 disk image {bytes >> 20} MiB (sparse) at {path}; deleted after the run");
        return path;
    }

    /// <summary>One explanation naming the hop and case where a run went wrong, then the run's own summary.</summary>
    public static string DescribeFailure(VmRunResult run, IReadOnlyList<BenchCase> cases)
    {
        string Case(int hop) => hop >= 0 && hop < cases.Count ? cases[hop].ToString() : "none (last hop)";
        var failed = run.Report.Steps.FirstOrDefault(s => !s.Ok);
        int hop = failed?.Hop ?? Math.Max(run.Report.HighestHop, 0);
        string where = $"{run.Request.Scenario}: hop {hop} of {cases.Count} (ending case {(hop > 0 ? Case(hop - 1) : "none")}, setting up case {Case(hop)})";
        string what = failed is null ? string.Join("; ", run.FailureReasons) : $"step {failed.Name} failed: {failed.Detail}";
        return $"{where}: {what}\n{run.FailureSummary}";
    }

    private static List<ObservedGuestLine> Snapshot(List<ObservedGuestLine> lines)
    {
        lock (lines) return [.. lines];
    }

    /// <summary>Prints a line per benchmark event as it arrives: the case a hop ends with, spans on the host clock, the guest's step numbers.</summary>
    private sealed class HopPrinter(IReadOnlyList<BenchCase> cases, IProgress<string>? progress)
    {
        private readonly Dictionary<string, TimeSpan> lastMark = [];

        public void Print(ObservedGuestLine observed)
        {
            if (progress is null) return;
            var line = observed.Line;
            int hop = line.Hop ?? -1;
            string at = $"{observed.At.TotalSeconds,7:0.0} s";
            switch (line.Type)
            {
                case GuestReportLineTypes.Mark:
                    string name = line.Name ?? "?";
                    lastMark[name] = observed.At;
                    string since = name switch
                    {
                        StepNames.Marks.Init when hop > 0 && hop - 1 < cases.Count && cases[hop - 1].Kind == BenchKind.LuodPath && lastMark.TryGetValue(StepNames.Marks.Frozen, out var f)
                            => $" ({(observed.At - f).TotalMilliseconds:0} ms after lucache froze for {Case(hop - 1)})",
                        StepNames.Marks.Init when lastMark.TryGetValue(StepNames.Marks.Reboot, out var r) && hop > 0 => $" ({(observed.At - r).TotalMilliseconds:0} ms after reboot of {Case(hop - 1)})",
                        StepNames.Marks.Init when lastMark.TryGetValue(StepNames.Marks.Saved, out var s) && hop > 0 => $" ({(observed.At - s).TotalMilliseconds:0} ms after saved of {Case(hop - 1)})",
                        StepNames.Marks.Restored when lastMark.TryGetValue(StepNames.Marks.Reboot, out var r) => $" ({(observed.At - r).TotalMilliseconds:0} ms after reboot: the blackout of {Case(hop - 1)})",
                        StepNames.Marks.Serving when lastMark.TryGetValue(StepNames.Marks.Paused, out var p) => $" ({(observed.At - p).TotalMilliseconds:0} ms after lucache paused: the blackout of {Case(hop - 1)})",
                        StepNames.Marks.Reloaded when lastMark.TryGetValue(StepNames.Marks.SaveStart, out var s) => $" ({(observed.At - s).TotalMilliseconds:0} ms after save-start: the old way's blackout of {Case(hop - 1)})",
                        StepNames.Marks.Reboot or StepNames.Marks.SaveStart or StepNames.Marks.Paused => $" ({Case(hop)})",
                        _ => "",
                    };
                    if (name != StepNames.Marks.Guest) progress.Report($"  [{at}] hop {hop}: {name}{since}");
                    break;
                case GuestReportLineTypes.Step when line.Ok != true:
                    progress.Report($"  [{at}] hop {hop}: FAILED {line.Name}: {line.Detail}");
                    break;
                case GuestReportLineTypes.Step when line.Name is { } step && step.StartsWith(StepNames.Bench.Prefix, StringComparison.Ordinal) && step != StepNames.Bench.KexecLoad:
                    progress.Report($"  [{at}] hop {hop}: {step} {line.Detail}");
                    break;
                case GuestReportLineTypes.End:
                    progress.Report($"  [{at}] hop {hop}: end ok={line.Ok} {line.Detail}");
                    break;
            }
        }

        private string Case(int hop) => hop >= 0 && hop < cases.Count ? cases[hop].ToString() : "?";
    }
}
