// MetricsPrometheusTests: luod's metrics as an operator's Prometheus sees them (metrics-prometheus):
// Debian's prometheus on the host scrapes luod in the guest through QEMU's port forward every
// second, before and after `luoctl update` 7.2 → 7.3; then a PromQL query over its HTTP API
// returns the participant's blackout, which must equal what `luoctl report` printed in the guest
// (to the table's precision, and to the nanosecond of its JSON). Also: the participant's memfd
// matched its SHA-256 across the kexec, Prometheus scraped luod in both kernels, and
// `luoctl report --openmetrics --output` wrote exactly what luod served, and promtool accepts
// the --prometheus-text file written for node_exporter's textfile collector.
using LiveUpdate.GuestContract;
using LiveUpdate.Telemetry;
using LiveUpdate.VmHarness.Demo;
using Xunit.Abstractions;
using Steps = LiveUpdate.GuestContract.StepNames.MetricsPrometheus;

namespace LiveUpdate.VmTests;

[Collection(VmFixture.CollectionName)]
[Trait("Category", "Vm")]
public sealed class MetricsPrometheusTests : IDisposable
{
    private readonly VmFixture fixture;
    private readonly ITestOutputHelper output;
    private readonly IDisposable attachment;

    public MetricsPrometheusTests(VmFixture fixture, ITestOutputHelper output)
    {
        this.fixture = fixture;
        this.output = output;
        attachment = fixture.AttachOutput(output);
    }

    public void Dispose() => attachment.Dispose();

    [Fact]
    public async Task Prometheus_on_the_host_reads_the_blackout_luoctl_report_printed()
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(30));
        var result = await MetricsPrometheusDriver.RunAsync(fixture.Harness, MetricsPrometheusDriver.DefaultChain, fixture.Progress, limit.Token);
        output.WriteLine(MetricsPrometheusDriver.Describe(result));
        Assert.True(result.Run.Passed, result.Run.FailureSummary);

        var resume = result.Run.Report.Steps.Single(s => s.Hop == 1 && s.Name == Steps.Resume(Steps.Participant));
        Assert.Matches("intact sha256=[0-9a-f]{64}", resume.Detail);

        // Scraped in both kernels: the 7.2 one before the update, the 7.3 one after.
        var releases = result.Run.Report.Boots.Select(b => b.Release).Distinct().ToList();
        Assert.Equal(2, releases.Count);
        Assert.Equal(releases.Order(StringComparer.Ordinal), result.ScrapedReleases);

        // The blackout: Prometheus's answer equals luoctl report's, as printed and to the nanosecond.
        Assert.NotNull(result.ReportedBlackoutNs);
        Assert.True(result.ReportedBlackoutNs > 0);
        var sample = Assert.IsType<VmHarness.Host.PrometheusSample>(result.Blackout);
        long fromPrometheusNs = (long)Math.Round(sample.Value * 1e9);
        string printed = Durations.Format(result.ReportedBlackoutNs!.Value, result.ReportedBlackoutApproximate);
        var row = result.ReportTable!.Split('\n').Single(l => l.Contains(Steps.Participant, StringComparison.Ordinal) && l.Contains(printed, StringComparison.Ordinal));
        Assert.Equal(printed, Durations.Format(fromPrometheusNs, result.ReportedBlackoutApproximate));
        Assert.Equal(result.ReportedBlackoutNs!.Value, fromPrometheusNs);
        output.WriteLine($"luoctl report row: {row.Trim()}");

        Assert.Contains("luod_kexecs_total{source=\"khoDebugfs\"} 1", result.OpenMetricsText);
        var (exitCode, said) = Assert.NotNull(result.PromtoolCheck);
        Assert.True(exitCode == 0, $"promtool check metrics refused luoctl's textfile collector file (exit {exitCode}): {said}\n{result.PrometheusText}");
    }
}
