// BenchmarkVmTests: `luvm bench` in miniature for CI (the full benchmark runs by hand): 16 and 32
// MiB with 4 KiB pages and shmem THP, the floor, luod with one session, the old way at 16 MiB, one
// run each on 7.3. Asserts real behaviour, not just a pass: every page's stamp checked after the
// kexec and after the cold reboot, every span measured and positive, THP really used by the fill,
// and the report, plot and raw numbers written.
using LiveUpdate.Guest.Scenarios;
using LiveUpdate.VmHarness;
using Xunit.Abstractions;

namespace LiveUpdate.VmTests;

[Collection(VmFixture.CollectionName)]
[Trait("Category", "Vm")]
public sealed class BenchmarkVmTests : IDisposable
{
    private static readonly TimeSpan OverallLimit = TimeSpan.FromMinutes(45);

    private readonly VmFixture fixture;
    private readonly ITestOutputHelper output;
    private readonly IDisposable attachment;

    public BenchmarkVmTests(VmFixture fixture, ITestOutputHelper output)
    {
        this.fixture = fixture;
        this.output = output;
        attachment = fixture.AttachOutput(output);
    }

    public void Dispose() => attachment.Dispose();

    [Fact]
    public async Task Tiny_blackout_benchmark_checks_every_page_and_measures_every_span()
    {
        var plan = new BenchPlan([16, 32], 1, ["4k", "thp"], [1], Floor: true);
        var options = new BenchmarkOptions(plan, [16]) { MemoryMiB = 3072 };
        using var limit = new CancellationTokenSource(OverallLimit);
        var outcome = await BlackoutBenchmark.RunAsync(fixture.Harness, options, fixture.Progress, limit.Token);
        output.WriteLine(BenchmarkReport.Console(outcome.Results));
        Assert.True(outcome.Passed, string.Join("\n", outcome.Failures));

        var samples = outcome.Results.Samples;
        Assert.Equal(["floor", "ours.4k.16", "ours.4k.32", "ours.thp.16", "ours.thp.32", "luod.1", "oldway.16"], samples.Select(s => s.Case));
        foreach (var sample in samples)
        {
            string metric = BenchmarkAnalysis.PrimaryMetric(sample.Kind);
            Assert.True(sample.Metrics.TryGetValue(metric, out double value) && value > 0, $"{sample.Case}: {metric} missing or not positive ({string.Join(", ", sample.Metrics)})");
        }
        foreach (var sample in samples.Where(s => s.Kind is "ours" or "oldway"))
        {
            // Every 4 KiB page's stamp was checked on the other side of the kexec / cold reboot, and none was wrong.
            Assert.Equal(sample.SizeMiB * 256.0, sample.Metrics["pages"]);
            Assert.Equal(0, sample.Metrics["badPages"]);
        }
        foreach (var ours in samples.Where(s => s.Kind == "ours"))
        {
            Assert.True(ours.Metrics[BenchmarkAnalysis.KernelMs] > 0, $"{ours.Case}: reboot → init not positive");
            Assert.True(ours.Metrics[BenchmarkAnalysis.BlackoutMs] > ours.Metrics[BenchmarkAnalysis.KernelMs], $"{ours.Case}: restored before init");
            Assert.True(ours.Metrics["preserveMs"] > 0);
            if (ours.Mode == "thp")
                Assert.True(ours.Metrics["shmemHugeKibAfterFill"] > 0, $"{ours.Case}: the fill used no shmem huge pages");
            else
                Assert.Equal(0, ours.Metrics["shmemHugeKibAfterFill"]);
        }
        var oldWay = samples.Single(s => s.Kind == "oldway");
        Assert.True(oldWay.Metrics["rebootMs"] > 0 && oldWay.Metrics["saveMs"] > 0 && oldWay.Metrics["reloadMs"] > 0);
        Assert.True(samples.Single(s => s.Kind == "luod").Metrics["claimedMs"] > 0);
        Assert.Contains(outcome.Results.Slopes, s => s.Series == "ours.4k");
        Assert.Contains(outcome.Results.Ratios, r => r.Name == "old way / ours.4k" && r.Value > 0);

        string markdown = Path.Combine(outcome.KexecRun.RunDirectory, "benchmarks.md");
        await BlackoutBenchmark.WriteAsync(outcome.Results, markdown, limit.Token);
        Assert.Contains("| ours.thp.32 |", await File.ReadAllTextAsync(markdown));
        Assert.True(File.Exists(Path.ChangeExtension(markdown, ".svg")) && File.Exists(Path.ChangeExtension(markdown, ".json")));
        output.WriteLine($"report: {markdown}");
    }
}
