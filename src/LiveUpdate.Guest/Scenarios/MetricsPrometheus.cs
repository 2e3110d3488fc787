// MetricsPrometheus (scenario metrics-prometheus): luod's metrics across a real `luoctl update`,
// for a real Prometheus on the host that scrapes luod through QEMU's port forward (the VM test
// and MetricsPrometheusDriver run it). Before: luod with MetricsListen on the guest's address, a
// participant (4 MiB of seeded bytes, subscribed); GET /metrics in the guest must show this
// kernel and the participant's session; the guest waits so the host scrapes this kernel's luod,
// then updates. After: luod again with MetricsListen, the participant claims (SHA-256 of its memfd
// must match the seed's), resumes and finishes; `luoctl report` (JSON, table) has its blackout;
// `luoctl report --openmetrics --output FILE`
// writes exactly what GET /metrics serves, and with --prometheus-text the file node_exporter's
// textfile collector reads (the host checks it with promtool); the guest waits again so
// Prometheus scrapes the completed update before the run ends.
using LiveUpdate.GuestContract;
using Steps = LiveUpdate.GuestContract.StepNames.MetricsPrometheus;

namespace LiveUpdate.Guest.Scenarios;

public sealed class MetricsPrometheus(GuestPlan plan, ResultChannel results)
{
    private const int Mib = 4;
    private const ulong Seed = 151;
    private const string OpenMetricsFile = "/run/luod-textfile/luod.openmetrics";
    private const string TextfileCollectorFile = "/run/luod-textfile/luod.prom";

    /// <summary>How long the guest leaves luod up for the host's scrapes (Prometheus scrapes every second).</summary>
    private static readonly TimeSpan ScrapeWindow = TimeSpan.FromSeconds(12);

    public async Task<bool> RunAsync()
    {
        if (!await results.StepAsync(Steps.LuodStart, async () =>
            {
                var (luod, ready) = await LuodProcess.StartAsync("--OrphanGrace=00:10:00", $"--MetricsListen=0.0.0.0:{Steps.GuestPort}");
                return $"luod pid {luod.Process.Id} ready in {ready.TotalMilliseconds:F0} ms, metrics on 0.0.0.0:{Steps.GuestPort}";
            }))
            return false;
        return plan.IsFirstHop ? await BeforeAsync() : await AfterAsync();
    }

    private async Task<bool> BeforeAsync()
    {
        bool ok = await results.StepAsync(Steps.Participants, async () =>
        {
            await UpdateParticipantProcess.StartAsync(Steps.Participant, Mib, Seed);
            return $"{Steps.Participant}: {Mib} MiB preserved, subscribed";
        });
        ok = ok && await results.StepAsync(Steps.Served, async () =>
        {
            string text = await MetricsScrape.GetAsync("127.0.0.1", Steps.GuestPort);
            string release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
            Require(text, $"luod_kernel_info{{release=\"{release}\"}} 1");
            Require(text, $"luod_preserved_bytes{{owner=\"0\"}} {Mib << 20}");
            Require(text, "# EOF");
            return text;
        });
        ok = ok && await WaitForScrapesAsync();
        return ok && await results.StepAsync(Steps.Update, async () =>
        {
            await LuodProcess.UpdateThroughLuodAsync(plan, results, () => File.Exists(UpdateParticipantProcess.LogOf(Steps.Participant))
                ? File.ReadAllText(UpdateParticipantProcess.LogOf(Steps.Participant)).Trim() : "(no participant log)");
            return "";
        });
    }

    private async Task<bool> AfterAsync()
    {
        bool ok = await results.StepAsync(Steps.Resume(Steps.Participant), async () =>
        {
            var (code, output) = await UpdateParticipantProcess.ResumeAsync(Steps.Participant, Mib, Seed);
            if (code != 0) throw new InvalidOperationException($"participant {Steps.Participant} exited {code}: {output}");
            return output;
        });
        ok &= await UpdateReportSteps.RunAsync(results, Steps.Prefix, [Steps.Participant]);
        ok &= await results.StepAsync(Steps.OpenMetrics, async () =>
        {
            Directory.CreateDirectory(Path.GetDirectoryName(OpenMetricsFile)!);
            await LuodProcess.LuoctlOkAsync("report", "--openmetrics", "--output", OpenMetricsFile);
            string written = await File.ReadAllTextAsync(OpenMetricsFile);
            string served = await MetricsScrape.GetAsync("127.0.0.1", Steps.GuestPort);
            if (written != served)
                throw new InvalidOperationException($"luoctl report --openmetrics wrote other text than luod serves:\n--- luoctl\n{written}\n--- GET /metrics\n{served}");
            Require(served, $"luod_last_update_participant_blackout_seconds{{participant=\"{Steps.Participant}\"}}");
            Require(served, "luod_kexecs_total{source=\"khoDebugfs\"}");
            return served;
        });
        ok &= await results.StepAsync(Steps.PrometheusText, async () =>
        {
            await LuodProcess.LuoctlOkAsync("report", "--openmetrics", "--prometheus-text", "--output", TextfileCollectorFile);
            string written = await File.ReadAllTextAsync(TextfileCollectorFile);
            Require(written, "# TYPE luod_kexecs_total counter");
            return written;
        });
        return ok && await WaitForScrapesAsync();
    }

    private Task<bool> WaitForScrapesAsync() => results.StepAsync(Steps.ScrapeWindow, async () =>
    {
        await Task.Delay(ScrapeWindow);
        return $"luod served for {ScrapeWindow.TotalSeconds:F0} s more";
    });

    private static void Require(string text, string expected)
    {
        if (!text.Contains(expected, StringComparison.Ordinal))
            throw new InvalidOperationException($"GET /metrics lacks '{expected}':\n{text}");
    }
}
