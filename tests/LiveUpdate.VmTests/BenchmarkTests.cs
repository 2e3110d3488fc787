// BenchmarkTests: the host side of `luvm bench` on synthetic numbers: the hop plan (shared with the
// guest) and its command-line round trip, spans from host-stamped marks, median / slope / ratios,
// the luodpath case (luod + lucache through `luoctl update`: its blackout, luod's share, the
// initramfs unpack from the console), and the markdown, JSON and SVG writers.
using System.Text.Json;
using System.Xml.Linq;
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness;
using LiveUpdate.VmHarness.Benchmarks;
using LiveUpdate.VmHarness.GuestImage;
using LiveUpdate.VmHarness.Runs;

namespace LiveUpdate.VmTests;

public sealed class BenchmarkTests
{
    [Fact]
    public void The_plan_interleaves_runs_and_round_trips_through_the_command_line()
    {
        var plan = new BenchPlan([64, 256], 2, ["4k", "thp"], [1, 10], Floor: true);
        var cases = plan.KexecCases;
        Assert.Equal(2 * (1 + 2 * 2 + 2), cases.Count);
        Assert.Equal(["floor", "ours.4k.64", "ours.4k.256", "ours.thp.64", "ours.thp.256", "luod.1", "luod.10"], cases.Take(7).Select(c => c.Id));
        Assert.All(cases.Take(7), c => Assert.Equal(1, c.Run));
        Assert.All(cases.Skip(7), c => Assert.Equal(2, c.Run));
        Assert.Equal(["oldway.64", "oldway.256", "oldway.64", "oldway.256"], plan.OldWayCases.Select(c => c.Id));

        var words = plan.Parameters.ToDictionary(w => w[..w.IndexOf('=')], w => w[(w.IndexOf('=') + 1)..]);
        var back = BenchPlan.FromParameters(name => words.GetValueOrDefault(name));
        Assert.Equal(cases, back.KexecCases);
        Assert.True(string.Join(' ', plan.Parameters).Length < 200);
        Assert.NotEqual(cases[1].Seed, cases[8].Seed); // the same case in another run gets other stamps
    }

    [Fact]
    public void Absent_parameters_give_the_full_benchmark_and_bad_ones_are_named()
    {
        var plan = BenchPlan.FromParameters(_ => null);
        Assert.Equal(3 * (1 + 2 * 4 + 3), plan.KexecCases.Count);
        var none = BenchPlan.FromParameters(name => name switch { "lu.bench.luod" => "none", "lu.bench.modes" => "none", "lu.bench.floor" => "0", _ => null });
        Assert.Empty(none.KexecCases);
        Assert.Contains("lu.bench.sizes", Assert.Throws<ArgumentException>(() => BenchPlan.FromParameters(n => n == "lu.bench.sizes" ? "64,big" : null)).Message);
        Assert.Contains("page mode", Assert.Throws<ArgumentException>(() => BenchPlan.FromParameters(n => n == "lu.bench.modes" ? "2m" : null)).Message);
    }

    [Fact]
    public void The_luodpath_case_comes_last_in_each_run_and_round_trips()
    {
        var plan = new BenchPlan([16, 2048], 2, [], [], Floor: true) { LuodPathModes = ["4k", "thp"] };
        Assert.Equal(["floor", "luodpath.4k.16", "luodpath.thp.16"], plan.KexecCases.Take(3).Select(c => c.Id));
        Assert.Equal(6, plan.KexecCases.Count); // 2048 MiB does not fit lucache's arena
        Assert.Equal([2048], plan.LuodPathSkippedSizes);
        Assert.Contains("lu.bench.luodpath=4k,thp", plan.Parameters);

        var words = plan.Parameters.ToDictionary(w => w[..w.IndexOf('=')], w => w[(w.IndexOf('=') + 1)..]);
        var back = BenchPlan.FromParameters(name => words.GetValueOrDefault(name));
        Assert.Equal(plan.KexecCases, back.KexecCases);

        var enabled = BenchPlan.FromParameters(name => name switch { "lu.bench.luodpath" => "1", "lu.bench.luodpath.sizes" => "16", _ => null });
        Assert.Equal(["4k", "thp"], enabled.LuodPathModes);
        Assert.Equal(3 * 2, enabled.KexecCases.Count(c => c.Kind == BenchKind.LuodPath));
        Assert.Contains("lu.bench.luodpath.sizes=16", enabled.Parameters);
        Assert.DoesNotContain(BenchPlan.FromParameters(name => name == "lu.bench.luodpath" ? "0" : null).KexecCases, c => c.Kind == BenchKind.LuodPath);
        Assert.Contains("page mode", Assert.Throws<ArgumentException>(() => BenchPlan.FromParameters(n => n == "lu.bench.luodpath" ? "2m" : null)).Message);

        var luodPath = plan.KexecCases[1];
        Assert.Equal(16 + 1 + 16, luodPath.LucacheArenaMib);
        Assert.InRange(luodPath.LucacheSeed, 0, 999_999);
        Assert.True(new BenchCase(BenchKind.LuodPath, 1, BenchPlan.LuodPathMaxMiB, "4k").LucacheArenaMib << 20 <= int.MaxValue);
        Assert.True(new BenchmarkOptions(plan, []).TimeoutFor(plan.KexecCases) > new BenchmarkOptions(plan with { LuodPathModes = [] }, []).TimeoutFor(plan.KexecCases.Where(c => c.Kind == BenchKind.Floor).ToList()));
    }

    [Fact]
    public void The_luodpath_blackout_runs_from_lucache_pausing_to_it_serving_and_luods_share_is_a_part_of_it()
    {
        var results = Synthetic();
        var blackout = results.Summary("luodpath.4k.256", BenchmarkAnalysis.BlackoutMs)!;
        Assert.Equal(9000, blackout.Median);
        Assert.Equal(1500, results.Summary("luodpath.4k.256", "pauseToFreezeMs")!.Median);
        Assert.Equal(5000, results.Summary("luodpath.4k.256", BenchmarkAnalysis.KernelMs)!.Median);
        Assert.Equal(2000, results.Summary("luodpath.4k.256", "appMs")!.Median);
        Assert.Equal(100.0 * 800 / 9000, results.Summary("luodpath.4k.256", BenchmarkAnalysis.LuodReadyPercent)!.Median, 1);
        Assert.Equal(100.0 * 1200 / 9000, results.Summary("luodpath.4k.256", BenchmarkAnalysis.LuodClaimedPercent)!.Median, 1);
        Assert.Equal(2100, results.Summary("luodpath.thp.256", "unpackMs")!.Median);
        Assert.Equal(1400, results.Summary("floor", "unpackMs")!.Median);
        Assert.Null(results.Summary("ours.4k.256", "unpackMs"));

        var ratio = Assert.Single(results.Ratios, r => r.Name == "luodpath.4k blackout / floor" && r.SizeMiB == 256);
        Assert.Equal(9.0, ratio.Value, 2);
        Assert.Contains(results.Ratios, r => r.Name == "luodpath.thp blackout / ours.thp" && r.SizeMiB == 1024);
        var unpack = Assert.Single(results.Ratios, r => r.Name == "initramfs unpack after luodpath.thp / after the floor" && r.SizeMiB == 256);
        Assert.Equal(1.5, unpack.Value, 2);
        Assert.Contains(results.Findings, f => f.StartsWith("luodpath.thp.256: ShmemHugePages after the preload 100%", StringComparison.Ordinal));
        Assert.Contains(results.Findings, f => f.StartsWith("luodpath.4k.256: ShmemHugePages after the preload 0%", StringComparison.Ordinal));
        Assert.DoesNotContain(results.Findings, f => f.Contains("items verified", StringComparison.Ordinal));
    }

    [Fact]
    public void A_luodpath_case_without_every_item_back_is_a_finding()
    {
        var plan = new BenchPlan([16], 1, [], [], Floor: false) { LuodPathModes = ["4k"] };
        var lines = new List<ObservedGuestLine>
        {
            Step(0, StepNames.Bench.Setup, BenchDetail.Format(("items", 100.0), ("arenaKib", 33792L), ("shmemHugeKib", 0L))),
            Mark(0, 0, StepNames.Marks.Paused), Mark(100, 0, StepNames.Marks.Frozen), Mark(5000, 1, StepNames.Marks.Init), Mark(7000, 1, StepNames.Marks.Serving),
            Step(1, StepNames.Bench.Restore, BenchDetail.Format(("items", 100.0), ("verifiedItems", 99.0), ("missingItems", 1.0), ("luodReadyMs", 500.0))),
        };
        var samples = BenchmarkAnalysis.Samples(plan.KexecCases, lines);
        Assert.Equal(7000, samples[0].Metrics[BenchmarkAnalysis.BlackoutMs]);
        Assert.False(samples[0].Metrics.ContainsKey(BenchmarkAnalysis.KernelMs)); // no "reboot" mark got out
        Assert.Equal(4900, samples[0].Metrics["freezeToInitMs"]);
        Assert.Contains("luodpath.4k.16 run 1: 99 of 100 items verified after the kexec", BenchmarkAnalysis.Findings(samples, 1));
    }

    [Fact]
    public void The_console_gives_each_boots_initramfs_unpack()
    {
        string console = string.Join('\n',
            "Booting from ROM..\u001bc\u001b[?7l\u001b[2J\u001b[0m.[    0.000000] Linux version 7.3.4 (root@host) #1",
            "[    1.250000] Unpacking initramfs...",
            "[    2.500000] Freeing initrd memory: 170000K",
            "[    2.900000] Run /init as init process",
            "lu-guest: {\"type\":\"step\",\"kmsg\":[\"[0.000000] Linux version 7.3.4\"]}",
            "[    0.000000] Linux version 7.3.4 (root@host) #1",
            "[    1.000000] Trying to unpack rootfs image as initramfs...\r",
            "[    1.100000] virtio_blk virtio1: something in between",
            "[    3.000000] Run /init as init process",
            "[    0.000000] Linux version 7.3.4 (root@host) #1",
            "[    9.000000] Run /init as init process");
        var unpacks = ConsoleLogAnalysis.InitramfsUnpacks(console);
        Assert.Equal(3, unpacks.Count);
        Assert.Equal(1250, unpacks[0]!.Milliseconds);
        Assert.Equal("Freeing initrd memory", unpacks[0]!.EndLine);
        Assert.Equal(2000, unpacks[1]!.Milliseconds);
        Assert.Equal("Run /init as init process", unpacks[1]!.EndLine);
        Assert.Null(unpacks[2]);
    }

    [Fact]
    public void Step_details_round_trip()
    {
        string detail = BenchDetail.Format(("case", "ours.4k.64"), ("fillMs", 12.34567), ("bytes", 67108864L), ("policy", "always [never]"));
        Assert.Equal("case=ours.4k.64 fillMs=12.346 bytes=67108864 policy=always_[never]", detail);
        var values = BenchDetail.Parse(detail);
        Assert.Equal(12.346, BenchDetail.Number(values, "fillMs"));
        Assert.Null(BenchDetail.Number(values, "case"));
    }

    [Fact]
    public void Median_slope_and_ratios()
    {
        Assert.Equal(2, BenchmarkAnalysis.Median([3, 1, 2]));
        Assert.Equal(2.5, BenchmarkAnalysis.Median([4, 1, 3, 2]));
        var (slope, intercept) = BenchmarkAnalysis.LeastSquares([(0.0625, 1100), (0.25, 1400), (1, 2600)]);
        Assert.Equal(1600, slope, 6);
        Assert.Equal(1000, intercept, 6);

        var results = Synthetic();
        var slope4k = Assert.Single(results.Slopes, s => s.Series == "ours.4k" && s.Metric == BenchmarkAnalysis.BlackoutMs);
        Assert.Equal(1600, slope4k.MsPerGiB, 1);
        Assert.Equal(2, slope4k.Points);
        var ratio = Assert.Single(results.Ratios, r => r.Name == "ours.4k blackout / floor" && r.SizeMiB == 1024);
        Assert.Equal(2.6 / 1.0, ratio.Value, 2);
        var oldWay = Assert.Single(results.Ratios, r => r.Name == "old way / ours.4k" && r.SizeMiB == 1024);
        Assert.Equal(20000 / 2600.0, oldWay.Value, 2);
    }

    [Fact]
    public void Spans_come_from_the_host_stamps_of_marks_on_the_two_hops_of_a_case()
    {
        var results = Synthetic();
        var floor = results.Summary("floor", BenchmarkAnalysis.KernelMs)!;
        Assert.Equal(3, floor.Count);
        Assert.Equal(1000, floor.Median);
        Assert.Equal(900, floor.Min);
        Assert.Equal(1100, floor.Max);
        Assert.Equal(2600, results.Summary("ours.4k.1024", BenchmarkAnalysis.BlackoutMs)!.Median);
        Assert.Equal(1200, results.Summary("ours.4k.1024", BenchmarkAnalysis.KernelMs)!.Median);
        Assert.Equal(1400, results.Summary("ours.4k.1024", "appMs")!.Median);
        Assert.Equal(55, results.Summary("ours.4k.1024", "preserveMs")!.Median);
        Assert.Equal(20000, results.Summary("oldway.1024", BenchmarkAnalysis.BlackoutMs)!.Median);
        Assert.Equal(5000, results.Summary("oldway.1024", "rebootMs")!.Median);
        Assert.Equal(321, results.Summary("luod.10", BenchmarkAnalysis.LuodShareMs)!.Median);
        Assert.Contains(results.Findings, f => f.StartsWith("ours.thp.1024: ShmemHugePages after the fill 100%", StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_mark_leaves_the_span_out_and_is_a_finding()
    {
        var plan = new BenchPlan([64], 1, ["4k"], [], Floor: true);
        var lines = new List<ObservedGuestLine>
        {
            Mark(0, 0, StepNames.Marks.Reboot), Mark(1000, 1, StepNames.Marks.Init), Mark(1500, 1, StepNames.Marks.Reboot),
            // hop 2 never came up: ours.4k.64 has no init and no restored mark.
        };
        var samples = BenchmarkAnalysis.Samples(plan.KexecCases, lines);
        Assert.Equal(1000, samples[0].Metrics[BenchmarkAnalysis.KernelMs]);
        Assert.Empty(samples[1].Metrics);
        Assert.Contains("ours.4k.64: blackoutMs measured in 0 of 1 runs", BenchmarkAnalysis.Findings(samples, 1));
    }

    [Fact]
    public void Markdown_json_and_svg_writers()
    {
        var results = Synthetic();
        string md = BenchmarkReport.Markdown(results, "benchmarks.svg", "benchmarks.json");
        Assert.Contains("# Blackout benchmark", md);
        Assert.Contains("median of 3 run(s)", md);
        Assert.Contains("| floor | bare kexec", md);
        Assert.Contains("1000 [900–1100]", md);
        Assert.Contains("CRIU**: see [docs/criu.md](criu.md)", md);
        Assert.Contains("![blackout against preserved size](benchmarks.svg)", md);
        Assert.Contains("| ours.4k | reboot → restored | 1600 |", md);
        Assert.Contains("## luod's own share", md);
        Assert.Contains("| luodpath.4k.256 | lucache holding 256 MiB (4 KiB pages) through luod and `luoctl update`", md);
        Assert.Contains("| 9000 | 9.00 |", md); // luodpath.4k.256's blackout and its ratio to the floor
        Assert.Contains("## The path users take: luod + lucache through `luoctl update`", md);
        Assert.Contains("| luod start → serving | % of blackout |", md);
        Assert.Contains("## initramfs unpack: after a luod kexec vs after a bare kexec", md);
        Assert.Contains("| a luod kexec (luodpath.thp.256) | 2100 | 1.50 |", md);
        Assert.Contains("| a bare kexec (floor) | 1400 |", md);
        Assert.Contains("--luodpath 4k,thp", md);

        string json = JsonSerializer.Serialize(results, BenchmarkJsonContext.Default.BenchmarkResults);
        var back = JsonSerializer.Deserialize(json, BenchmarkJsonContext.Default.BenchmarkResults)!;
        Assert.Equal(results.Samples.Count, back.Samples.Count);
        Assert.Contains("\"blackoutMs\"", json);

        string svg = BenchmarkPlot.Render(results);
        var document = XDocument.Parse(svg); // well-formed
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(5, document.Descendants(ns + "polyline").Count());
        Assert.Contains("luod + lucache, shmem THP", svg);
        Assert.Contains("stroke-dasharray", svg); // the floor
        Assert.Contains("1600 ms per GiB", svg);
        Assert.Contains(BenchmarkReport.Console(results).Split('\n'), l => l.Contains("floor") && l.Contains("1000 [900–1100]"));
        Assert.Contains(BenchmarkReport.Console(results).Split('\n'), l => l.Contains("luodpath.4k.256") && l.Contains("luod start → serving 800"));
    }

    [Fact]
    public async Task The_report_the_plot_and_the_raw_numbers_go_side_by_side()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"lu-bench-test-{Guid.NewGuid():N}");
        try
        {
            string markdown = Path.Combine(directory, "docs", "benchmarks.md");
            await BlackoutBenchmark.WriteAsync(Synthetic(), markdown, CancellationToken.None);
            Assert.Contains("(benchmarks.svg)", await File.ReadAllTextAsync(markdown));
            Assert.StartsWith("<svg", await File.ReadAllTextAsync(Path.Combine(directory, "docs", "benchmarks.svg")));
            Assert.Contains("\"samples\"", await File.ReadAllTextAsync(Path.Combine(directory, "docs", "benchmarks.json")));
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Nice_ceilings_for_the_axes()
    {
        Assert.Equal(1, BenchmarkPlot.NiceCeiling(0));
        Assert.Equal(2000, BenchmarkPlot.NiceCeiling(1800));
        Assert.Equal(2500, BenchmarkPlot.NiceCeiling(2048));
        Assert.Equal(50000, BenchmarkPlot.NiceCeiling(42000));
    }

    /// <summary>3 runs of floor, ours (4k, thp) at 256 MiB and 1 GiB, luod 10, luodpath (4k, thp) and the old way at 256 MiB and 1 GiB, with exact spans.</summary>
    [Fact]
    public void The_levers_table_gives_each_variants_floor_and_its_saving_against_the_baseline_of_its_kernel()
    {
        var results = Synthetic() with
        {
            InitramfsBytes = 40L << 20,
            Levers =
            [
                new LeverMeasurement(BenchmarkLevers.Baseline, "uncompressed", "7.2", 4, 8000, 7800, 8500, 1500, 40L << 20),
                new LeverMeasurement("initramfs-lz4", "lz4", "7.2", 4, 6000, 5900, 6100, 1900, 12L << 20),
                new LeverMeasurement("quiet", "quiet", "7.2", 4, 7880, 7700, 8000, null, 40L << 20),
            ],
        };
        string md = BenchmarkReport.Markdown(results, "b.svg", "b.json");
        Assert.Contains("## Levers", md);
        Assert.Contains("| 7.2 | initramfs-lz4: lz4 | 4 | 12.0 MiB | 6000 [5900–6100] | 2000 ms (25.0 %) | 1900 |", md);
        Assert.Contains("| 7.2 | quiet: quiet | 4 | 40.0 MiB | 7880 [7700–8000] | 120 ms (1.5 %) | not on the console |", md);
        Assert.Contains("| 7.2 | baseline: uncompressed | 4 | 40.0 MiB | 8000 [7800–8500] |  | 1500 |", md);
        Assert.Contains("the initramfs is 40.0 MiB", md);
        Assert.Contains("No lever runs", BenchmarkReport.Markdown(Synthetic(), "b.svg", "b.json"));
    }

    [Fact]
    public void Lever_variants_cover_every_kernel_with_a_baseline()
    {
        var variants = BenchmarkLevers.Variants(["7.2", "7.3"]);
        Assert.Equal(10, variants.Count);
        Assert.All(new[] { "7.2", "7.3" }, kernel => Assert.Contains(variants, v => v.Kernel == kernel && v.Lever == BenchmarkLevers.Baseline && v.Initramfs == InitramfsCompression.None && !v.Quiet));
        Assert.Contains(variants, v => v.Initramfs == InitramfsCompression.Lz4);
        Assert.Contains(variants, v => v.Quiet);
        // luoctl advise's levers for the guest: the same fixed options with one changed, everything else kept.
        var noSerial = variants.First(v => v.Lever == "no-serial-console");
        Assert.DoesNotContain("console=", noSerial.FixedOptions);
        Assert.Contains("kho=on", noSerial.FixedOptions);
        var scratch = variants.First(v => v.Lever == "kho-scratch-fit");
        Assert.Equal(ScenarioCommandLine.FixedOptions.Replace("kho_scratch=128M,512M,256M", BenchmarkLevers.AdvisedScratch), scratch.FixedOptions);
    }

    private static BenchmarkResults Synthetic()
    {
        var plan = new BenchPlan([256, 1024], 3, ["4k", "thp"], [10], Floor: true) { LuodPathModes = ["4k", "thp"] };
        var kexec = Lines(plan.KexecCases, (bench, run) => bench.Kind switch
        {
            BenchKind.Floor => (900 + 100 * (run - 1), 0),
            BenchKind.Memfd => (1000 + bench.SizeMiB * 200 / 1024, 1000 + bench.SizeMiB * 1600 / 1024 + (bench.Mode == "thp" ? -100 : 0)),
            _ => (5000, 0),
        });
        // Unpack per boot (boot h + 1 follows case h): 1400 ms after a bare kexec, 2100 ms after a luod kexec, none otherwise.
        var unpacks = new List<double?> { 1300 };
        unpacks.AddRange(plan.KexecCases.Select(c => c.Kind switch { BenchKind.Floor => 1400, BenchKind.LuodPath => 2100, _ => (double?)null }));
        var oldWay = Lines(plan.OldWayCases, (bench, _) => (bench.SizeMiB * 5000 / 1024, bench.SizeMiB * 20000 / 1024));
        var samples = BenchmarkAnalysis.Samples(plan.KexecCases, kexec, unpacks).Concat(BenchmarkAnalysis.Samples(plan.OldWayCases, oldWay)).ToList();
        var summaries = BenchmarkAnalysis.Summarize(samples);
        return new BenchmarkResults
        {
            Date = new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero),
            Machine = new MachineInfo("Test CPU", 2, 24000, "QEMU emulator version 9.2.0", "6.1.0", "QEMU TCG"),
            GuestKernel = "7.3.4",
            GuestMemoryMiB = 6144,
            KexecParameters = plan.Parameters,
            OldWayParameters = plan.Parameters,
            Samples = samples,
            Summaries = summaries,
            Slopes = BenchmarkAnalysis.Slopes(samples, summaries),
            Ratios = BenchmarkAnalysis.Ratios(samples, summaries),
            Findings = BenchmarkAnalysis.Findings(samples, 3),
            RunDirectories = ["/runs/a", "/runs/b"],
        };
    }

    /// <summary>
    /// Report lines for a chain over <paramref name="cases"/>: each case's hop ends 10 s after it started with
    /// "reboot" (or "save-start"/"saved"), the next hop's "init" follows after the case's first span and
    /// "restored"/"reloaded" after the second (old way: first = saved → init, second = save-start → reloaded).
    /// </summary>
    private static List<ObservedGuestLine> Lines(IReadOnlyList<BenchCase> cases, Func<BenchCase, int, (int First, int Second)> spans)
    {
        var lines = new List<ObservedGuestLine>();
        double t = 0;
        for (int hop = 0; hop < cases.Count; hop++)
        {
            var bench = cases[hop];
            var (first, second) = spans(bench, bench.Run);
            t += 10_000;
            switch (bench.Kind)
            {
                case BenchKind.OldWay:
                    lines.Add(Mark(t, hop, StepNames.Marks.SaveStart));
                    lines.Add(Mark(t + 2000, hop, StepNames.Marks.Saved));
                    lines.Add(Mark(t + 2000 + first, hop + 1, StepNames.Marks.Init));
                    lines.Add(Mark(t + second, hop + 1, StepNames.Marks.Reloaded));
                    break;
                case BenchKind.LuodPath:
                    // paused → frozen 1.5 s, frozen → reboot 0.5 s, reboot → init 5 s, init → luod start 300 ms, luod start → claimed 1.2 s, → serving 1.7 s.
                    lines.Add(Step(hop, StepNames.Bench.Setup, BenchDetail.Format(("items", 1000.0), ("arenaKib", bench.SizeMiB * 1088L), ("fillMs", 400.0),
                        ("shmemHugeKib", bench.Mode == "thp" ? bench.SizeMiB * 1088L : 0L))));
                    lines.Add(Mark(t, hop, StepNames.Marks.Paused));
                    lines.Add(Mark(t + 1500, hop, StepNames.Marks.Frozen));
                    lines.Add(Mark(t + 2000, hop, StepNames.Marks.Reboot));
                    lines.Add(Mark(t + 7000, hop + 1, StepNames.Marks.Init));
                    lines.Add(Mark(t + 7300, hop + 1, StepNames.Marks.LuodStart));
                    lines.Add(Mark(t + 8500, hop + 1, StepNames.Marks.Claimed));
                    lines.Add(Mark(t + 9000, hop + 1, StepNames.Marks.Serving));
                    lines.Add(Step(hop + 1, StepNames.Bench.Restore, BenchDetail.Format(("items", 1000.0), ("verifiedItems", 1000.0), ("luodReadyMs", 800.0),
                        ("luodClaimedMs", 1200.0), ("scanMs", 30.0), ("shmemHugeKib", bench.Mode == "thp" ? bench.SizeMiB * 1088L : 0L))));
                    break;
                case BenchKind.Luod:
                    lines.Add(Step(hop, StepNames.Bench.Setup, BenchDetail.Format(("preserveMs", 42.0))));
                    lines.Add(Mark(t, hop, StepNames.Marks.Reboot));
                    lines.Add(Mark(t + first, hop + 1, StepNames.Marks.Init));
                    lines.Add(Step(hop + 1, StepNames.Bench.Restore, BenchDetail.Format(("readyMs", 200.0), ("claimedMs", 300.0), ("luodShareMs", 321.0))));
                    break;
                default:
                    if (bench.Kind == BenchKind.Memfd)
                        lines.Add(Step(hop, StepNames.Bench.Setup, BenchDetail.Format(("fillMs", 100.0), ("preserveMs", 55.0), ("shmemHugeKib", bench.Mode == "thp" ? bench.SizeMiB * 1024L : 0L))));
                    lines.Add(Mark(t, hop, StepNames.Marks.Reboot));
                    lines.Add(Mark(t + first, hop + 1, StepNames.Marks.Init));
                    if (second > 0) lines.Add(Mark(t + second, hop + 1, StepNames.Marks.Restored));
                    break;
            }
        }
        return lines;
    }

    private static ObservedGuestLine Mark(double atMs, int hop, string name) =>
        new(TimeSpan.FromMilliseconds(atMs), new GuestReportLine { Type = GuestReportLineTypes.Mark, Hop = hop, Name = name });

    private static ObservedGuestLine Step(int hop, string name, string detail) =>
        new(TimeSpan.Zero, new GuestReportLine { Type = GuestReportLineTypes.Step, Hop = hop, Name = name, Ok = true, Detail = detail });
}
