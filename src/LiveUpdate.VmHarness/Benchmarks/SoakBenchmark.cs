// SoakBenchmark: the soak (scenario soak, issue 14): a chain of kexecs through luod alternating
// 7.2 and 7.3, seeded, on one VM. Reads each hop's figures from the guest's soak.resources step,
// judges luod's resources across hops, and writes the per-hop table (docs/soak.md).
// The criterion: hop 0 is the warm-up (a first boot, no restore). From hop 1 on, luod's fds beyond
// the sessions it holds (one fd per session) are exactly hop 1's, and its VmRSS at the end of the
// hop stays within +25 % of hop 1's. The guest already checked every byte by SHA-256; it also
// reports the fds beyond the sessions right after luod answered (informative: luod's startup is
// asynchronous, so one of its own fds may not be open yet).
using System.Globalization;
using System.Text;
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness.Host;
using LiveUpdate.VmHarness.Runs;
using Keys = LiveUpdate.GuestContract.StepNames.Soak.Keys;

namespace LiveUpdate.VmHarness.Benchmarks;

public sealed record SoakOptions(int Hops, ulong Seed)
{
    public const int DefaultHops = 50;
    public const ulong DefaultSeed = 11;

    /// <summary>Allowed growth of luod's VmRSS over the warm-up hop's.</summary>
    public const double RssGrowthAllowed = 0.25;

    /// <summary>7.2, 7.3, 7.2, … for <see cref="Hops"/> boots.</summary>
    public IReadOnlyList<string> Chain => [.. Enumerable.Range(0, Hops).Select(h => h % 2 == 0 ? "7.2" : "7.3")];
}

public sealed record SoakHopFigures(int Hop, string Release, int Live, int Created, int Finished, int Orphaned, int Carried, int Grown,
    int FilesChecked, long BytesChecked, long RssKiB, long HwmKiB, int Fds, int SessionsHeld, int FdsBeyondSessions, int FdsBeyondAtArrival, string FdsAppeared, double UptimeMs);

public sealed record SoakResult(SoakOptions Options, VmRunResult Run, IReadOnlyList<SoakHopFigures> Hops, IReadOnlyList<string> Violations, MachineInfo Machine)
{
    public bool Passed => Run.Passed && Violations.Count == 0 && Hops.Count == Options.Hops;
}

public static class SoakBenchmark
{
    public static async Task<SoakResult> RunAsync(ScenarioHarness harness, SoakOptions options, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        if (options.Hops < 2) throw new HarnessException("soak: --hops must be 2 or more (a soak crosses at least one kexec).");
        var request = new VmRunRequest(ScenarioNames.Soak, options.Chain)
        {
            // Under TCG a hop takes 30-90 s on a busy host; give each 4 minutes.
            Timeout = TimeSpan.FromMinutes(4 * options.Hops),
            ScenarioParameters = [GuestCommandLineKeys.Word(GuestCommandLineKeys.SoakSeed, options.Seed.ToString(CultureInfo.InvariantCulture))],
            OnGuestLine = progress is null ? null : line => { if (line.Line.Type == "step") progress.Report($"soak hop {line.Line.Hop}: {line.Line.Name} {(line.Line.Ok == true ? "ok" : "FAILED")}"); },
        };
        var machine = await MachineProbe.ReadAsync(cancellationToken).ConfigureAwait(false);
        var run = await harness.RunScenarioAsync(request, cancellationToken).ConfigureAwait(false);
        var hops = Figures(run.Report);
        return new SoakResult(options, run, hops, Judge(hops), machine);
    }

    /// <summary>Each hop's figures from its soak.resources step (hops whose step failed or is missing are left out).</summary>
    public static IReadOnlyList<SoakHopFigures> Figures(GuestReport report) =>
        [.. report.Steps.Where(s => s.Name == StepNames.Soak.Resources && s.Ok).OrderBy(s => s.Hop).Select(s =>
        {
            var values = BenchDetail.Parse(s.Detail);
            long Long(string key) => (long)(BenchDetail.Number(values, key) ?? throw new HarnessException($"soak hop {s.Hop}: {key} missing from '{s.Detail}'"));
            int Int(string key) => (int)Long(key);
            return new SoakHopFigures(s.Hop, s.Release, Int(Keys.Live), Int(Keys.Created), Int(Keys.Finished), Int(Keys.Orphaned), Int(Keys.Carried),
                Int(Keys.Grown), Int(Keys.Files), Long(Keys.BytesChecked), Long(Keys.RssKiB), Long(Keys.HwmKiB), Int(Keys.Fds),
                Int(Keys.SessionsHeld), Int(Keys.FdsBeyondSessions), Int(Keys.FdsBeyondSessionsAtArrival), values.GetValueOrDefault(Keys.FdsAppeared, "-"), BenchDetail.Number(values, Keys.UptimeMs) ?? 0);
        })];

    /// <summary>Where luod's resources broke the criterion (see the header); empty when they held.</summary>
    public static IReadOnlyList<string> Judge(IReadOnlyList<SoakHopFigures> hops)
    {
        var violations = new List<string>();
        var warm = hops.FirstOrDefault(h => h.Hop == 1);
        if (warm is null) return hops.Count > 1 ? ["hop 1 (the warm-up reference) reported no figures"] : [];
        foreach (var hop in hops.Where(h => h.Hop > 1))
        {
            if (hop.FdsBeyondSessions != warm.FdsBeyondSessions)
                violations.Add($"hop {hop.Hop}: luod holds {hop.FdsBeyondSessions} fds beyond its {hop.SessionsHeld} sessions, hop 1 held {warm.FdsBeyondSessions}");
            if (hop.RssKiB > warm.RssKiB * (1 + SoakOptions.RssGrowthAllowed))
                violations.Add($"hop {hop.Hop}: luod VmRSS {hop.RssKiB} KiB is more than {SoakOptions.RssGrowthAllowed:P0} above hop 1's {warm.RssKiB} KiB");
        }
        return violations;
    }

    /// <summary>The markdown report: how it was run, the criterion, the per-hop table and the summary.</summary>
    public static string Markdown(SoakResult result)
    {
        var o = result.Options;
        var hops = result.Hops;
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.AppendLine("# Soak: chained kexecs through luod");
        text.AppendLine();
        text.AppendLine($"Written by `luvm soak --hops {o.Hops} --seed {o.Seed}` on {DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", inv)} UTC "
            + $"(scenario `soak`, src/LiveUpdate.Guest/Scenarios/Soak.cs; plan SoakPlan.cs). Machine: {result.Machine.Cpu}, {result.Machine.Cores} cores, "
            + $"{result.Machine.MemoryMiB} MiB, {result.Machine.Accelerator}, {result.Machine.Qemu}; the host was shared with other builds and VM runs.");
        text.AppendLine();
        text.AppendLine($"Chain: {o.Hops} boots alternating 7.2 and 7.3 ({o.Hops - 1} kexecs, each through `luoctl kexec`). Every hop re-derives "
            + "from (seed, hop) which managed sessions must arrive, checks luod lists exactly them, claims each not planned as an orphan "
            + "and checks every file by SHA-256, then finishes it or carries it on (the claimed bytes copied into a new session of the same "
            + "name, grown by 1-3 files when planned), creates 0-2 new sessions (3 on hop 0), and waits until the ones left alone are "
            + "orphaned (OrphanGrace 5 s, policy Keep; orphans are not carried further, and the next hop checks luod no longer lists them).");
        text.AppendLine();
        text.AppendLine($"Criterion: hop 0 is the warm-up (first boot, no restore). The fds luod holds beyond its sessions "
            + $"(one fd per session) at the end of the hop must, from hop 2 on, equal hop 1's, and luod's VmRSS at "
            + $"the end of the hop must stay within +{SoakOptions.RssGrowthAllowed:P0} of hop 1's (checked by luvm).");
        text.AppendLine();
        text.AppendLine("| hop | kernel | live | created | finished | orphaned | carried | grown | files checked | bytes checked | luod VmRSS KiB | VmHWM KiB | fds | sessions held | fds beyond sessions | at arrival | hop time s |");
        text.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var h in hops)
        {
            text.AppendLine(string.Create(inv, $"| {h.Hop} | {h.Release} | {h.Live} | {h.Created} | {h.Finished} | {h.Orphaned} | {h.Carried} | {h.Grown} | {h.FilesChecked} | {h.BytesChecked} | {h.RssKiB} | {h.HwmKiB} | {h.Fds} | {h.SessionsHeld} | {h.FdsBeyondSessions} | {h.FdsBeyondAtArrival} | {h.UptimeMs / 1000:F1} |"));
        }
        text.AppendLine();
        foreach (var h in hops.Where(h => h.FdsBeyondAtArrival != h.FdsBeyondSessions))
            text.AppendLine($"Hop {h.Hop}: fds beyond the sessions were {h.FdsBeyondAtArrival} right after luod answered and {h.FdsBeyondSessions} at the end; opened since: `{h.FdsAppeared}`.");
        text.AppendLine();
        text.AppendLine("Hop time: the guest's uptime when it finished the hop's checks (kernel boot, luod start and restore, claims, checks, new sessions, the orphan wait), before it asks luod to kexec.");
        text.AppendLine();
        text.AppendLine("## Summary");
        text.AppendLine();
        text.AppendLine($"- Result: **{(result.Passed ? "PASSED" : "FAILED")}**; hops with figures: {hops.Count} of {o.Hops}; VM wall time {result.Run.WallTime.TotalMinutes:F1} min.");
        if (hops.Count > 0)
        {
            text.AppendLine(string.Create(inv, $"- Sessions: {hops.Sum(h => h.Created)} created, {hops.Sum(h => h.Finished)} finished, {hops.Sum(h => h.Orphaned)} orphaned, {hops.Sum(h => h.Carried)} carried, {hops.Sum(h => h.Grown)} grown; at most {hops.Max(h => h.Live)} live across a kexec."));
            text.AppendLine(string.Create(inv, $"- Checked by SHA-256 after a kexec: {hops.Sum(h => h.FilesChecked)} files, {hops.Sum(h => h.BytesChecked)} bytes ({hops.Sum(h => h.BytesChecked) / 1048576.0:F1} MiB)."));
            var later = hops.Where(h => h.Hop >= 1).ToList();
            if (later.Count > 0)
            {
                text.AppendLine(string.Create(inv, $"- luod VmRSS from hop 1 on: min {later.Min(h => h.RssKiB)} KiB, max {later.Max(h => h.RssKiB)} KiB (hop 1: {later[0].RssKiB} KiB); VmHWM max {later.Max(h => h.HwmKiB)} KiB."));
                text.AppendLine($"- fds beyond the sessions held from hop 1 on: {string.Join(", ", later.Select(h => h.FdsBeyondSessions).Distinct())}.");
                text.AppendLine(string.Create(inv, $"- Hop time: median {Median(later.Select(h => h.UptimeMs / 1000)):F1} s, max {later.Max(h => h.UptimeMs) / 1000:F1} s."));
            }
        }
        foreach (var violation in result.Violations) text.AppendLine($"- Criterion broken: {violation}");
        if (!result.Run.Passed)
            foreach (var reason in result.Run.FailureReasons) text.AppendLine($"- Run failed: {reason}");
        return text.ToString();
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
