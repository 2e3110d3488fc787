// BenchmarkAnalysis: turns the host-stamped report lines of the benchmark's VM runs into numbers.
// Hop h set up case h and hop h + 1 ended it (BenchPlan), so each case's spans are differences of
// host stamps of marks on those two hops (reboot → init, reboot → restored, save-start → reloaded),
// joined with the guest's own step measurements (fill, PRESERVE_FD, retrieve, luod's share) and
// the initramfs unpack of each boot from the console log (floor and luodpath).
// Then: median and min–max per case and metric, least-squares slope per GiB over the size
// medians, ratios of medians, and findings in plain words.
using System.Globalization;
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness.Runs;

namespace LiveUpdate.VmHarness.Benchmarks;

public static class BenchmarkAnalysis
{
    /// <summary>reboot call (mark "reboot") → the next kernel's /init (mark "init"): the kernel's share.</summary>
    public const string KernelMs = "kernelMs";

    /// <summary>ours: reboot → data retrieved and every page checked (mark "restored"); old way: save-start → reloaded.</summary>
    public const string BlackoutMs = "blackoutMs";

    /// <summary>luod start → every session claimed, checked and finished (guest clock, one kernel).</summary>
    public const string LuodShareMs = "luodShareMs";

    /// <summary>The next kernel's initramfs unpack (console log; ConsoleLogAnalysis.InitramfsUnpacks).</summary>
    public const string UnpackMs = "unpackMs";

    /// <summary>luodpath: luod start → serving, and luod start → every session claimed, as a percentage of the case's blackout.</summary>
    public const string LuodReadyPercent = "luodReadyPctOfBlackout", LuodClaimedPercent = "luodClaimedPctOfBlackout";

    public static readonly IReadOnlyList<string> PlotSeries = ["ours.4k", "ours.thp", "luodpath.4k", "luodpath.thp", "oldway"];

    public static string KindName(BenchKind kind) => kind switch
    {
        BenchKind.Floor => "floor",
        BenchKind.Memfd => "ours",
        BenchKind.Luod => "luod",
        BenchKind.OldWay => "oldway",
        BenchKind.LuodPath => "luodpath",
        _ => kind.ToString(),
    };

    /// <summary>The metric a case is ranked by: the floor's kernel share, the blackout of ours, luodpath and the old way, luod's share.</summary>
    public static string PrimaryMetric(string kind) => kind switch
    {
        "floor" => KernelMs,
        "luod" => LuodShareMs,
        _ => BlackoutMs,
    };

    /// <summary>
    /// One sample per case of <paramref name="cases"/> (hop h = case h) from the lines of that run;
    /// <paramref name="unpackMsByBoot"/> (boot h = hop h, from the console) adds the next kernel's unpack to floor and luodpath.
    /// </summary>
    public static IReadOnlyList<BenchSample> Samples(IReadOnlyList<BenchCase> cases, IReadOnlyList<ObservedGuestLine> lines, IReadOnlyList<double?>? unpackMsByBoot = null)
    {
        double? Mark(int hop, string name) =>
            lines.FirstOrDefault(l => l.Line.Type == GuestReportLineTypes.Mark && l.Line.Hop == hop && l.Line.Name == name)?.At.TotalMilliseconds;
        IReadOnlyDictionary<string, string> Step(int hop, string name) =>
            BenchDetail.Parse(lines.LastOrDefault(l => l.Line.Type == GuestReportLineTypes.Step && l.Line.Hop == hop && l.Line.Name == name && l.Line.Ok == true)?.Line.Detail);

        var samples = new List<BenchSample>();
        for (int hop = 0; hop < cases.Count; hop++)
        {
            var bench = cases[hop];
            var metrics = new SortedDictionary<string, double>(StringComparer.Ordinal);
            void Span(string metric, double? from, double? to)
            {
                if (from is { } a && to is { } b) metrics[metric] = Math.Round(b - a, 1);
            }
            void Copy(IReadOnlyDictionary<string, string> step, string key, string? metric = null)
            {
                if (BenchDetail.Number(step, key) is { } value && double.IsFinite(value)) metrics[metric ?? key] = value;
            }
            void Unpack()
            {
                if (unpackMsByBoot is not null && hop + 1 < unpackMsByBoot.Count && unpackMsByBoot[hop + 1] is { } ms) metrics[UnpackMs] = ms;
            }

            double? reboot = Mark(hop, StepNames.Marks.Reboot), init = Mark(hop + 1, StepNames.Marks.Init), guest = Mark(hop + 1, StepNames.Marks.Guest);
            switch (bench.Kind)
            {
                case BenchKind.Floor:
                    Span(KernelMs, reboot, init);
                    Span("guestStartMs", reboot, guest);
                    Unpack();
                    break;
                case BenchKind.Memfd:
                    double? restored = Mark(hop + 1, StepNames.Marks.Restored);
                    Span(KernelMs, reboot, init);
                    Span(BlackoutMs, reboot, restored);
                    Span("appMs", init, restored);
                    var setup = Step(hop, StepNames.Bench.Setup);
                    Copy(setup, "fillMs");
                    Copy(setup, "preserveMs");
                    Copy(setup, "shmemHugeKib", "shmemHugeKibAfterFill");
                    var restore = Step(hop + 1, StepNames.Bench.Restore);
                    foreach (var key in new[] { "retrieveMs", "verifyMs", "finishMs", "pages", "badPages" }) Copy(restore, key);
                    Copy(restore, "shmemHugeKib", "shmemHugeKibAfterRestore");
                    break;
                case BenchKind.Luod:
                    Span("requestToInitMs", reboot, init);
                    Copy(Step(hop, StepNames.Bench.Setup), "preserveMs");
                    var handBack = Step(hop + 1, StepNames.Bench.Restore);
                    foreach (var key in new[] { "readyMs", "claimedMs", LuodShareMs }) Copy(handBack, key);
                    break;
                case BenchKind.LuodPath:
                    double? paused = Mark(hop, StepNames.Marks.Paused), frozen = Mark(hop, StepNames.Marks.Frozen), serving = Mark(hop + 1, StepNames.Marks.Serving);
                    Span(BlackoutMs, paused, serving);
                    Span(KernelMs, reboot, init); // luoctl's "rebooting" line can lose the race with the kexec
                    Span("pauseToFreezeMs", paused, frozen);
                    Span("freezeToInitMs", frozen, init);
                    Span("freezeToServingMs", frozen, serving);
                    Span("appMs", init, serving);
                    Span("initToLuodStartMs", init, Mark(hop + 1, StepNames.Marks.LuodStart));
                    Span("claimedToServingMs", Mark(hop + 1, StepNames.Marks.Claimed), serving);
                    Unpack();
                    var staged = Step(hop, StepNames.Bench.Setup);
                    foreach (var key in new[] { "fillMs", "lucacheStartMs", "arenaKib" }) Copy(staged, key);
                    Copy(staged, "items", "preloadedItems");
                    Copy(staged, "shmemHugeKib", "shmemHugeKibAfterFill");
                    var resumed = Step(hop + 1, StepNames.Bench.Restore);
                    foreach (var key in new[] { "luodReadyMs", "luodClaimedMs", "luodToServingMs", "items", "verifiedItems", "missingItems", "wrongItems", "scanMs", "verifyMs" })
                        Copy(resumed, key);
                    Copy(resumed, "shmemHugeKib", "shmemHugeKibAfterRestore");
                    if (metrics.TryGetValue(BlackoutMs, out double blackout) && blackout > 0)
                    {
                        if (metrics.TryGetValue("luodReadyMs", out double ready)) metrics[LuodReadyPercent] = Math.Round(100 * ready / blackout, 1);
                        if (metrics.TryGetValue("luodClaimedMs", out double claimed)) metrics[LuodClaimedPercent] = Math.Round(100 * claimed / blackout, 1);
                    }
                    break;
                case BenchKind.OldWay:
                    double? saveStart = Mark(hop, StepNames.Marks.SaveStart), saved = Mark(hop, StepNames.Marks.Saved), reloaded = Mark(hop + 1, StepNames.Marks.Reloaded);
                    Span(BlackoutMs, saveStart, reloaded);
                    Span("saveMs", saveStart, saved);
                    Span("rebootMs", saved, init);
                    Span("reloadMs", init, reloaded);
                    var save = Step(hop, StepNames.Bench.Save);
                    foreach (var key in new[] { "fillMs", "writeMs", "fsyncMs", "umountMs" }) Copy(save, key);
                    var reload = Step(hop + 1, StepNames.Bench.Reload);
                    foreach (var key in new[] { "mountMs", "readMs", "verifyMs", "pages", "badPages" }) Copy(reload, key);
                    break;
            }
            samples.Add(new BenchSample(bench.Id, KindName(bench.Kind), bench.Run, bench.SizeMiB, bench.Mode, bench.Sessions, hop, metrics));
        }
        return samples;
    }

    public static IReadOnlyList<BenchSummary> Summarize(IReadOnlyList<BenchSample> samples) =>
    [
        .. samples.GroupBy(s => s.Case)
            .SelectMany(group => group.SelectMany(s => s.Metrics.Keys).Distinct().Order(StringComparer.Ordinal).Select(metric =>
            {
                var values = group.Where(s => s.Metrics.ContainsKey(metric)).Select(s => s.Metrics[metric]).ToList();
                return new BenchSummary(group.Key, metric, values.Count, Median(values), values.Min(), values.Max());
            })),
    ];

    /// <summary>Slopes per GiB of blackoutMs (and kernelMs for ours) for every series with two or more sizes.</summary>
    public static IReadOnlyList<BenchSlope> Slopes(IReadOnlyList<BenchSample> samples, IReadOnlyList<BenchSummary> summaries)
    {
        var slopes = new List<BenchSlope>();
        foreach (string series in PlotSeries)
        {
            foreach (string metric in series.StartsWith("ours.", StringComparison.Ordinal) ? new[] { BlackoutMs, KernelMs } : [BlackoutMs])
            {
                var points = SeriesPoints(samples, summaries, series, metric);
                if (points.Count < 2) continue;
                var (slope, intercept) = LeastSquares(points.Select(p => (p.SizeMiB / 1024.0, p.Median.Median)).ToList());
                slopes.Add(new BenchSlope(series, metric, Math.Round(slope, 1), Math.Round(intercept, 1), points.Count));
            }
        }
        return slopes;
    }

    /// <summary>The (size, summary) points of a series ("ours.4k", "ours.thp", "luodpath.4k", "luodpath.thp", "oldway"), by size.</summary>
    public static IReadOnlyList<(int SizeMiB, BenchSummary Median)> SeriesPoints(IReadOnlyList<BenchSample> samples, IReadOnlyList<BenchSummary> summaries, string series, string metric) =>
    [
        .. samples.Where(s => SeriesOf(s) == series).Select(s => (s.SizeMiB, s.Case)).Distinct()
            .Select(p => (p.SizeMiB, Summary: summaries.FirstOrDefault(m => m.Case == p.Case && m.Metric == metric)))
            .Where(p => p.Summary is not null).Select(p => (p.SizeMiB, p.Summary!)).OrderBy(p => p.SizeMiB),
    ];

    public static string? SeriesOf(BenchSample sample) => sample.Kind switch
    {
        "ours" => $"ours.{sample.Mode}",
        "luodpath" => $"luodpath.{sample.Mode}",
        "oldway" => "oldway",
        _ => null,
    };

    /// <summary>
    /// ours / floor per mode and size (blackout and kernel share), old way / ours per size and mode; luodpath / floor
    /// and luodpath / ours per mode and size, and the initramfs unpack after each luodpath kexec / after the bare kexec.
    /// </summary>
    public static IReadOnlyList<BenchRatio> Ratios(IReadOnlyList<BenchSample> samples, IReadOnlyList<BenchSummary> summaries)
    {
        double? Median(string caseId, string metric) => summaries.FirstOrDefault(s => s.Case == caseId && s.Metric == metric)?.Median;
        var ratios = new List<BenchRatio>();
        void Add(string name, string numerator, string numeratorMetric, string denominator, string denominatorMetric, int size)
        {
            if (Median(numerator, numeratorMetric) is { } n && Median(denominator, denominatorMetric) is { } d && d > 0)
                ratios.Add(new BenchRatio(name, $"{numerator} {numeratorMetric}", $"{denominator} {denominatorMetric}", size, Math.Round(n / d, 2)));
        }
        var ours = samples.Where(s => s.Kind == "ours").Select(s => (s.Mode, s.SizeMiB)).Distinct().OrderBy(p => p.Mode, StringComparer.Ordinal).ThenBy(p => p.SizeMiB);
        foreach (var (mode, size) in ours)
        {
            Add($"ours.{mode} blackout / floor", $"ours.{mode}.{size}", BlackoutMs, "floor", KernelMs, size);
            Add($"ours.{mode} kernel share / floor", $"ours.{mode}.{size}", KernelMs, "floor", KernelMs, size);
        }
        foreach (int size in samples.Where(s => s.Kind == "oldway").Select(s => s.SizeMiB).Distinct().Order())
            foreach (string mode in samples.Where(s => s.Kind == "ours").Select(s => s.Mode).Distinct().Order(StringComparer.Ordinal))
                Add($"old way / ours.{mode}", $"oldway.{size}", BlackoutMs, $"ours.{mode}.{size}", BlackoutMs, size);
        var luodPath = samples.Where(s => s.Kind == "luodpath").Select(s => (s.Mode, s.SizeMiB)).Distinct().OrderBy(p => p.Mode, StringComparer.Ordinal).ThenBy(p => p.SizeMiB);
        foreach (var (mode, size) in luodPath)
        {
            Add($"luodpath.{mode} blackout / floor", $"luodpath.{mode}.{size}", BlackoutMs, "floor", KernelMs, size);
            Add($"luodpath.{mode} blackout / ours.{mode}", $"luodpath.{mode}.{size}", BlackoutMs, $"ours.{mode}.{size}", BlackoutMs, size);
            Add($"initramfs unpack after luodpath.{mode} / after the floor", $"luodpath.{mode}.{size}", UnpackMs, "floor", UnpackMs, size);
        }
        return ratios;
    }

    /// <summary>What the numbers say beyond the tables: THP folios used and kept, cases not fully measured.</summary>
    public static IReadOnlyList<string> Findings(IReadOnlyList<BenchSample> samples, int expectedRuns)
    {
        var findings = new List<string>();
        foreach (var group in samples.Where(s => s.Kind == "ours").GroupBy(s => s.Case))
        {
            var first = group.First();
            long kib = (long)first.SizeMiB * 1024;
            string Share(string metric)
            {
                var values = group.Where(s => s.Metrics.ContainsKey(metric)).Select(s => s.Metrics[metric]).ToList();
                return values.Count == 0 ? "not observed" : $"{Median(values) / kib * 100:0}% ({Median(values):0} KiB)";
            }
            findings.Add($"{group.Key}: ShmemHugePages after the fill {Share("shmemHugeKibAfterFill")}, after the restore {Share("shmemHugeKibAfterRestore")} of the memfd");
        }
        foreach (var group in samples.Where(s => s.Kind == "luodpath").GroupBy(s => s.Case))
        {
            string Share(string metric)
            {
                var values = group.Where(s => s.Metrics.ContainsKey(metric) && s.Metrics.ContainsKey("arenaKib")).Select(s => s.Metrics[metric] / s.Metrics["arenaKib"]).ToList();
                var kib = group.Where(s => s.Metrics.ContainsKey(metric)).Select(s => s.Metrics[metric]).ToList();
                return values.Count == 0 ? "not observed" : $"{Median(values) * 100:0}% ({Median(kib):0} KiB)";
            }
            findings.Add($"{group.Key}: ShmemHugePages after the preload {Share("shmemHugeKibAfterFill")}, after the restore {Share("shmemHugeKibAfterRestore")} of lucache's arena");
        }
        foreach (var sample in samples.Where(s => s.Kind == "luodpath" && s.Metrics.ContainsKey("items")
                     && (!s.Metrics.TryGetValue("verifiedItems", out double verified) || verified != s.Metrics["items"])))
            findings.Add($"{sample.Case} run {sample.Run}: {sample.Metrics.GetValueOrDefault("verifiedItems"):0} of {sample.Metrics["items"]:0} items verified after the kexec");
        foreach (var sample in samples.Where(s => s.Metrics.TryGetValue("badPages", out double bad) && bad > 0))
            findings.Add($"{sample.Case} run {sample.Run}: {sample.Metrics["badPages"]:0} pages with a wrong stamp");
        foreach (var group in samples.GroupBy(s => s.Case))
        {
            string metric = PrimaryMetric(group.First().Kind);
            int measured = group.Count(s => s.Metrics.ContainsKey(metric));
            if (measured < expectedRuns)
                findings.Add($"{group.Key}: {metric} measured in {measured} of {expectedRuns} runs");
        }
        return findings;
    }

    public static double Median(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>Ordinary least squares y = slope · x + intercept.</summary>
    public static (double Slope, double Intercept) LeastSquares(IReadOnlyList<(double X, double Y)> points)
    {
        if (points.Count < 2) throw new ArgumentException("a line needs two points or more", nameof(points));
        double meanX = points.Average(p => p.X), meanY = points.Average(p => p.Y);
        double sxx = points.Sum(p => (p.X - meanX) * (p.X - meanX));
        if (sxx == 0) throw new ArgumentException("all points have the same x", nameof(points));
        double slope = points.Sum(p => (p.X - meanX) * (p.Y - meanY)) / sxx;
        return (slope, meanY - slope * meanX);
    }

    public static string Ms(double ms) => ms.ToString(ms >= 100 ? "0" : "0.0", CultureInfo.InvariantCulture);
}
