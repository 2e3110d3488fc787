// VmBenchmark (`luvm bench-vm`, docs/benchmarks.md "VM workload"): the VM's blackout — vCPU pause
// → vCPU resume — through luod (vm-update: luqemu, RAM in a preserved memfd, device state in a
// second one) against the old way for VMs (vm-oldway: the whole VM saved to a file on a virtio
// disk, cold reboot, restored), at several VM RAM sizes, with the floor (a bare kexec of the same
// kernel, the blackout benchmark's floor case) measured in the same session. Runs are interleaved
// (floor, then per repetition every size: the old way, then ours) so a slow spell of the host spreads
// over all cases. Every VM's RAM is filled with pseudo-random bytes first (RamFill), as if in use.
// Host-clock figures: the old way's blackout = the marks right after QMP stop and right after the
// vCPUs ran again (lu-guest drives its QEMU); both ways also get the silence of the VM's heartbeat
// as the host heard it (VmHeartbeat: an observer's view, which includes any starvation before the stop).
// luod's figure for ours is QMP STOP → RESUME in `luoctl report` (±1 s across the kexec here: the
// TCG guest's TSC is not invariant, so the report bridges by CLOCK_REALTIME from the RTC).
using System.Globalization;
using System.Text;
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness.Demo;
using LiveUpdate.VmHarness.Runs;
using VmBeat = LiveUpdate.VmHarness.Demo.VmBeat;

namespace LiveUpdate.VmHarness.Benchmarks;

public sealed record VmBenchmarkOptions(IReadOnlyList<int> SizesMiB, int Runs, string Kernel)
{
    public static readonly IReadOnlyList<int> DefaultSizes = [64, 256, 1024];

    public int MemoryMiB { get; init; } = BenchmarkOptions.DefaultMemoryMiB;

    public int FloorRuns { get; init; } = 3;
}

/// <summary>One measured VM update: ours or the old way, at one size, one repetition.</summary>
/// <remarks>HostBlackoutMs: the old way's marks (right after QMP stop → right after the vCPUs ran again); HeartbeatSilenceMs: VmHeartbeat's silence (an observer's view, not the blackout).</remarks>
public sealed record VmBenchSample(string Way, int SizeMiB, int Run, bool Passed, double? LuodBlackoutMs, double? HostBlackoutMs, double? HeartbeatSilenceMs, string Detail, string RunDirectory);

public static class VmBenchmark
{
    public const string Ours = "ours";
    public const string OldWay = "oldway";
    public const string SectionStart = "<!-- vm-benchmark: written by `luvm bench-vm`; kept when `luvm bench` rewrites this file -->";
    public const string SectionEnd = "<!-- /vm-benchmark -->";

    public static async Task<(IReadOnlyList<VmBenchSample> Samples, double? FloorMs, string Markdown)> RunAsync(ScenarioHarness harness, VmBenchmarkOptions options, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        double? floor = await FloorAsync(harness, options, progress, cancellationToken).ConfigureAwait(false);
        progress?.Report($"bench-vm: floor (bare kexec {options.Kernel} → {options.Kernel}, reboot call → /init) median {floor:0} ms");
        var samples = new List<VmBenchSample>();
        for (int run = 1; run <= options.Runs; run++)
        {
            foreach (int size in options.SizesMiB)
            {
                samples.Add(await OldWayAsync(harness, options, size, run, progress, cancellationToken).ConfigureAwait(false));
                progress?.Report($"bench-vm: {Describe(samples[^1])}");
                samples.Add(await OursAsync(harness, options, size, run, progress, cancellationToken).ConfigureAwait(false));
                progress?.Report($"bench-vm: {Describe(samples[^1])}");
            }
        }
        return (samples, floor, Markdown(samples, floor, options, started));
    }

    private static ulong FillSeed(int size, int run) => (ulong)(size * 1000 + run);

    private static Task<double?> FloorAsync(ScenarioHarness harness, VmBenchmarkOptions options, IProgress<string>? progress, CancellationToken cancellationToken) =>
        FloorAsync(harness, options.Kernel, options.FloorRuns, options.MemoryMiB, progress, cancellationToken);

    /// <summary>The blackout benchmark's floor case: median ms of <paramref name="runs"/> bare kexecs of <paramref name="kernel"/> into itself (reboot call → /init).</summary>
    public static async Task<double?> FloorAsync(ScenarioHarness harness, string kernel, int runs, int memoryMiB, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var plan = new BenchPlan([], runs, [], [], Floor: true);
        var cases = plan.KexecCases;
        var lines = new List<ObservedGuestLine>();
        var request = new VmRunRequest(ScenarioNames.Bench, Enumerable.Repeat(kernel, cases.Count + 1).ToList())
        {
            Timeout = TimeSpan.FromMinutes(10),
            MemoryMiB = memoryMiB,
            ScenarioParameters = plan.Parameters,
            OnGuestLine = observed => { lock (lines) lines.Add(observed); },
        };
        var run = await harness.RunScenarioAsync(request, cancellationToken).ConfigureAwait(false);
        if (!run.Passed) progress?.Report($"the floor run FAILED: {run.FailureSummary}");
        List<ObservedGuestLine> seen;
        lock (lines) seen = [.. lines];
        var samples = BenchmarkAnalysis.Samples(cases, seen, ConsoleLogAnalysis.UnpackMsByBoot(run.RunDirectory));
        var floor = BenchmarkAnalysis.Summarize(samples).FirstOrDefault(s => s.Case == "floor" && s.Metric == BenchmarkAnalysis.PrimaryMetric("floor"));
        return floor?.Median;
    }

    private static async Task<VmBenchSample> OursAsync(ScenarioHarness harness, VmBenchmarkOptions options, int size, int run, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        progress?.Report($"bench-vm: ours, {size} MiB, run {run}");
        var demo = await VmDemoDriver.RunAsync(harness, new VmDemoOptions(size, [options.Kernel, options.Kernel])
        {
            MemoryMiB = options.MemoryMiB,
            FillSeed = FillSeed(size, run),
        }, null, cancellationToken).ConfigureAwait(false);
        string detail = demo.Passed ? $"{demo.FreezeAccount}; {demo.ResumeAccount}" : demo.ContinuityProblem ?? demo.Run.FailureSummary;
        return new VmBenchSample(Ours, size, run, demo.Passed, demo.LuodBlackoutNs / 1e6, null, demo.Heartbeat?.Gap.TotalMilliseconds, detail, demo.Run.RunDirectory);
    }

    private static async Task<VmBenchSample> OldWayAsync(ScenarioHarness harness, VmBenchmarkOptions options, int size, int run, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        progress?.Report($"bench-vm: old way, {size} MiB, run {run}");
        // Room for the whole VM's state file.
        string disk = await BlackoutBenchmark.CreateDiskImageAsync(harness.Cache, "vm-oldway", ((long)size + 256) << 20, "The VM old way", null, cancellationToken).ConfigureAwait(false);
        try
        {
            var marks = new List<(string Name, int Hop, TimeSpan At)>();
            var beats = new List<VmBeat>();
            var request = new VmRunRequest(ScenarioNames.VmOldWay, [options.Kernel, options.Kernel])
            {
                Timeout = TimeSpan.FromMinutes(25),
                MemoryMiB = options.MemoryMiB,
                DiskImage = disk,
                ColdRebootBetweenHops = true,
                ScenarioParameters = [GuestCommandLineKeys.Word(GuestCommandLineKeys.VmMib, size), GuestCommandLineKeys.Word(GuestCommandLineKeys.VmFillSeed, FillSeed(size, run).ToString(CultureInfo.InvariantCulture))],
                OnGuestLine = observed =>
                {
                    if (observed.Line.Type == GuestReportLineTypes.Mark)
                        lock (marks) marks.Add((observed.Line.Name ?? "", observed.Line.Hop ?? -1, observed.At));
                    if (VmHeartbeat.From(observed) is { } beat)
                        lock (marks) beats.Add(beat);
                },
            };
            var result = await harness.RunScenarioAsync(request, cancellationToken).ConfigureAwait(false);
            List<(string Name, int Hop, TimeSpan At)> seen;
            lock (marks) seen = [.. marks];
            TimeSpan? At(string name, int hop) => seen.Where(m => m.Name == name && m.Hop == hop).Select(m => (TimeSpan?)m.At).FirstOrDefault();
            double? host = At(StepNames.VmOldWay.ResumedMark, 1) - At(StepNames.VmOldWay.StoppedMark, 0) is { } span ? span.TotalMilliseconds : null;
            VmHeartbeatGap? heartbeat;
            lock (marks) heartbeat = VmHeartbeat.Across(beats);
            string Detail(int hop, string name) => result.Report.Steps.LastOrDefault(s => s.Hop == hop && s.Name == name)?.Detail ?? "";
            string detail = result.Passed ? $"{Detail(0, StepNames.VmOldWay.Save)}; {Detail(1, StepNames.VmOldWay.Restore)}" : result.FailureSummary;
            return new VmBenchSample(OldWay, size, run, result.Passed, null, host, heartbeat?.Gap.TotalMilliseconds, detail, result.RunDirectory);
        }
        finally
        {
            File.Delete(disk);
        }
    }

    private static string Describe(VmBenchSample s) =>
        $"{s.Way} {s.SizeMiB} MiB run {s.Run}: {(s.Passed ? "passed" : "FAILED")}; luod {Ms(s.LuodBlackoutMs)}, host marks {Ms(s.HostBlackoutMs)}, heartbeat silence {Ms(s.HeartbeatSilenceMs)} ms";

    private static string Ms(double? ms) => ms is { } v ? v.ToString("0", CultureInfo.InvariantCulture) : "—";

    private static double? Median(IEnumerable<double?> values)
    {
        var list = values.Where(v => v is not null).Select(v => v!.Value).ToList();
        return list.Count == 0 ? null : BenchmarkAnalysis.Median(list);
    }

    /// <summary>The section for docs/benchmarks.md: a table per size, ratios to the floor and ours / old way.</summary>
    public static string Markdown(IReadOnlyList<VmBenchSample> samples, double? floorMs, VmBenchmarkOptions options, DateTimeOffset started)
    {
        var md = new StringBuilder();
        md.AppendLine(SectionStart);
        md.AppendLine("## VM workload: a QEMU VM through the host's kernel update");
        md.AppendLine();
        md.AppendLine($"Measured by `luvm bench-vm` on {started:yyyy-MM-dd HH:mm} UTC: {options.Runs} run(s) per case, interleaved, kernel {options.Kernel} → {options.Kernel}, "
            + $"{options.MemoryMiB} MiB test guest (2 vCPUs, TCG), inside it Debian's QEMU 7.2 (TCG) running a busybox VM with 1 vCPU whose RAM was filled with pseudo-random bytes. "
            + "Blackout = vCPU pause → vCPU resume. **ours**: luqemu through `luoctl update` (RAM in a memfd luod preserves, device state in a second one, x-ignore-shared). "
            + "**old way**: QEMU migrates the whole VM to a file on the guest's virtio disk (ext4), cold reboot, a new QEMU restores it.");
        md.AppendLine();
        md.AppendLine($"Floor (a bare kexec, nothing preserved: reboot call → next kernel's /init, median of {options.FloorRuns}): **{Ms(floorMs)} ms**.");
        md.AppendLine();
        md.AppendLine("| VM RAM | ours: luod (QMP STOP → RESUME) ms | ours: heartbeat silence on the host ms | old way: host (stop → resumed marks) ms | old way: heartbeat silence ms | ours / floor | old way / floor | old way / ours |");
        md.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (int size in options.SizesMiB)
        {
            var ours = samples.Where(s => s.Way == Ours && s.SizeMiB == size && s.Passed).ToList();
            var old = samples.Where(s => s.Way == OldWay && s.SizeMiB == size && s.Passed).ToList();
            double? oursMs = Median(ours.Select(s => s.LuodBlackoutMs)), oursGap = Median(ours.Select(s => s.HeartbeatSilenceMs));
            double? oldMs = Median(old.Select(s => s.HostBlackoutMs)), oldGap = Median(old.Select(s => s.HeartbeatSilenceMs));
            string Ratio(double? a, double? b) => a is { } x && b is { } y && y > 0 ? (x / y).ToString("0.00", CultureInfo.InvariantCulture) : "—";
            md.AppendLine($"| {size} MiB | {Ms(oursMs)} | {Ms(oursGap)} | {Ms(oldMs)} | {Ms(oldGap)} | {Ratio(oursMs, floorMs)} | {Ratio(oldMs, floorMs)} | {Ratio(oldMs, oursMs)} |");
        }
        md.AppendLine();
        md.AppendLine("Per run (what each side did, from luqemu's and lu-guest's own accounts):");
        md.AppendLine();
        foreach (var s in samples)
            md.AppendLine($"- {s.Way} {s.SizeMiB} MiB run {s.Run} ({(s.Passed ? "passed" : "FAILED")}; logs {s.RunDirectory}): {s.Detail.ReplaceLineEndings(" ")}");
        md.AppendLine(SectionEnd);
        return md.ToString();
    }

    public static readonly ReportSection Section = new(SectionStart, SectionEnd);

    /// <summary>Puts <paramref name="section"/> into docs/benchmarks.md in place of an earlier one (or at the end).</summary>
    public static string Merge(string existing, string section) => Section.Merge(existing, section);

    /// <summary>The section of <paramref name="existing"/>, if any (kept by `luvm bench` when it rewrites the file).</summary>
    public static string? SectionOf(string existing) => Section.Of(existing);
}
