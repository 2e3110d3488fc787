// MetricsPrometheusDriver: the host side of the metrics-prometheus scenario. Forwards a free
// loopback port to luod's metrics listener in the guest (MetricsListen=0.0.0.0:9464), starts a
// real Prometheus that scrapes it every second from before the first kernel boots until after the
// update, runs the scenario (7.2 → 7.3 by `luoctl update`), then asks Prometheus over PromQL for
// the participant's blackout of the update and for the kernels it scraped luod in, and has
// promtool check the textfile collector's file luoctl wrote. Prometheus is
// killed at the end; its log and configuration stay in the run directory.
using System.Text.Json.Nodes;
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness.Host;
using LiveUpdate.VmHarness.Qemu;
using LiveUpdate.VmHarness.Runs;
using Steps = LiveUpdate.GuestContract.StepNames.MetricsPrometheus;

namespace LiveUpdate.VmHarness.Demo;

public sealed record MetricsPrometheusResult(
    VmRunResult Run,
    string BlackoutQuery,
    PrometheusSample? Blackout,
    string ReleasesQuery,
    IReadOnlyList<string> ScrapedReleases,
    long? ReportedBlackoutNs,
    bool ReportedBlackoutApproximate,
    string? ReportTable,
    string? OpenMetricsText,
    string? PrometheusText,
    (int ExitCode, string Output)? PromtoolCheck,
    string TargetHealth);

public static class MetricsPrometheusDriver
{
    public static readonly IReadOnlyList<string> DefaultChain = ["7.2", "7.3"];

    /// <summary>The participant's blackout of the newest update, from the last sample in the last 30 minutes (the target is gone once the VM stops).</summary>
    public static readonly string BlackoutQuery =
        $"last_over_time({Metrics.LuodMetricFamilies.LastUpdateParticipantBlackout}{{job=\"luod\",participant=\"{Steps.Participant}\"}}[30m])";

    /// <summary>Every kernel release Prometheus scraped luod in during the run.</summary>
    public static readonly string ReleasesQuery = $"count by (release) (count_over_time({Metrics.LuodMetricFamilies.KernelInfo}{{job=\"luod\"}}[30m]))";

    public static async Task<MetricsPrometheusResult> RunAsync(ScenarioHarness harness, IReadOnlyList<string> chain, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var forward = PortForward.ToGuest(Steps.GuestPort);
        await using var prometheus = await PrometheusServer.StartAsync($"127.0.0.1:{forward.HostPort}", cancellationToken).ConfigureAwait(false);
        progress?.Report($"  prometheus on 127.0.0.1:{prometheus.Port} scrapes 127.0.0.1:{forward.HostPort} (→ guest {PortForward.GuestAddress}:{Steps.GuestPort}) every 1 s");
        var request = new VmRunRequest(ScenarioNames.MetricsPrometheus, chain)
        {
            Timeout = TimeSpan.FromMinutes(15),
            Forwards = [forward],
            OnGuestLine = observed =>
            {
                var line = observed.Line;
                if (line.Type == GuestReportLineTypes.Step)
                    progress?.Report($"  guest hop {line.Hop} ({line.Release}): {(line.Ok == true ? "ok  " : "FAIL")} {line.Name} ({line.Ms:0} ms)");
            },
        };
        var run = await harness.RunScenarioAsync(request, cancellationToken).ConfigureAwait(false);

        string health = await prometheus.TargetHealthAsync(cancellationToken).ConfigureAwait(false);
        var blackout = (await prometheus.QueryAsync(BlackoutQuery, cancellationToken).ConfigureAwait(false)).SingleOrDefault();
        var releases = (await prometheus.QueryAsync(ReleasesQuery, cancellationToken).ConfigureAwait(false))
            .Select(s => s.Labels.TryGetValue("release", out var r) ? r : "").Order(StringComparer.Ordinal).ToList();
        File.Copy(prometheus.ConfigPath, Path.Combine(run.RunDirectory, "prometheus.yml"), overwrite: true);
        File.Copy(prometheus.LogPath, Path.Combine(run.RunDirectory, "prometheus.log"), overwrite: true);

        string? Detail(string name) => run.Report.Steps.LastOrDefault(s => s.Name == name && s.Ok)?.Detail;
        long? reportedNs = null;
        bool approximate = false;
        if (Detail(Steps.Report) is { } json)
        {
            var client = JsonNode.Parse(json)?["clients"]?.AsArray().FirstOrDefault(c => c?["client"]?.GetValue<string>() == Steps.Participant);
            reportedNs = client?["blackoutNs"]?.GetValue<long>();
            approximate = client?["approximate"]?.GetValue<bool>() ?? false;
        }
        // The textfile collector's file, checked by the prometheus package's own parser and linter.
        string? prometheusText = Detail(Steps.PrometheusText);
        (int, string)? check = prometheusText is null ? null : await PrometheusServer.CheckMetricsAsync(prometheusText, cancellationToken).ConfigureAwait(false);
        return new MetricsPrometheusResult(run, BlackoutQuery, blackout, ReleasesQuery, releases, reportedNs, approximate,
            Detail(Steps.ReportTable), Detail(Steps.OpenMetrics), prometheusText, check, health);
    }

    /// <summary>The answers in words, for luvm and the test's output.</summary>
    public static string Describe(MetricsPrometheusResult result) =>
        $"""
        run: {(result.Run.Passed ? "passed" : "FAILED: " + result.Run.FailureSummary)} ({result.Run.RunDirectory})
        prometheus target after the run: {result.TargetHealth}
        scraped luod in kernels: {string.Join(", ", result.ScrapedReleases)}   ({result.ReleasesQuery})
        PromQL: {result.BlackoutQuery}
          = {(result.Blackout is { } b ? $"{b.ValueText} s" : "(no sample)")}
        promtool check metrics (luoctl report --openmetrics --prometheus-text): {(result.PromtoolCheck is { } c ? $"exit {c.ExitCode} {c.Output}" : "(no file)")}
        luoctl report: {(result.ReportedBlackoutNs is { } ns ? $"{Telemetry.Durations.Format(ns, result.ReportedBlackoutApproximate)} ({ns} ns)" : "(no blackout)")} for {Steps.Participant}
        """;
}
