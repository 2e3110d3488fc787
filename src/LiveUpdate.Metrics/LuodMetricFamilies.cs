// LuodMetricFamilies: luod's metric families — names, types, help, labels, buckets — defined once,
// and the OpenMetrics text of a MetricsSnapshot. luod serves it on MetricsListen (GET /metrics);
// `luoctl report --openmetrics` writes it for node_exporter's textfile collector. Every scrape
// builds a fresh prometheus-net registry from the snapshot: the values are luod's state, not
// increments, so the same snapshot always gives the same text. The histograms are over the
// completed updates luod has on record (its catalog keeps the last UpdateLedger.HistoryLength),
// which is what survives the kexec; the luod_last_update_* gauges are the newest of them.
using System.Globalization;
using LiveUpdate.Protocol;
using LiveUpdate.Telemetry;
using Prometheus;

namespace LiveUpdate.Metrics;

public static class LuodMetricFamilies
{
    /// <summary>What GET /metrics answers with (OpenMetrics 1.0 text).</summary>
    public const string ContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    // Family names (counters without their "_total" sample suffix, which the exposition adds).
    public const string KernelInfo = "luod_kernel_info";
    public const string Sessions = "luod_sessions";
    public const string PreservedBytes = "luod_preserved_bytes";
    public const string CustodyLost = "luod_custody_lost";
    public const string OrphanSessions = "luod_orphan_sessions";
    public const string StagedKernelPreflight = "luod_staged_kernel_preflight";
    public const string KernelStaged = "luod_kernel_staged";
    public const string Kexecs = "luod_kexecs_total";
    public const string PreviousKernelInfo = "luod_previous_kernel_info";
    public const string UpdatesCompleted = "luod_updates_completed_total";
    public const string UpdatePhaseDuration = "luod_update_phase_duration_seconds";
    public const string UpdateBlackout = "luod_update_blackout_seconds";
    public const string UpdateParticipantBlackout = "luod_update_participant_blackout_seconds";
    public const string LastUpdateInfo = "luod_last_update_info";
    public const string LastUpdateStart = "luod_last_update_start_timestamp_seconds";
    public const string LastUpdatePhaseDuration = "luod_last_update_phase_duration_seconds";
    public const string LastUpdateBlackout = "luod_last_update_blackout_seconds";
    public const string LastUpdateParticipantBlackout = "luod_last_update_participant_blackout_seconds";

    /// <summary>Every family luod may write, in the order written.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        KernelInfo, Sessions, PreservedBytes, CustodyLost, OrphanSessions, StagedKernelPreflight, KernelStaged, Kexecs,
        PreviousKernelInfo, UpdatesCompleted, UpdatePhaseDuration, UpdateBlackout, UpdateParticipantBlackout,
        LastUpdateInfo, LastUpdateStart, LastUpdatePhaseDuration, LastUpdateBlackout, LastUpdateParticipantBlackout,
    ];

    /// <summary>Seconds: from a bare-metal blackout (ms) to one under emulation (tens of seconds).</summary>
    public static IReadOnlyList<double> DurationBuckets { get; } = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

    /// <summary>
    /// The snapshot as OpenMetrics text (ends with "# EOF"), or with <paramref name="prometheusText"/> in the
    /// Prometheus text format 0.0.4: the same families and samples, but a counter's TYPE names it with its
    /// "_total" (node_exporter's textfile collector and promtool parse this format, not OpenMetrics).
    /// </summary>
    public static async Task WriteAsync(MetricsSnapshot snapshot, Stream destination, CancellationToken cancellationToken = default, bool prometheusText = false)
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        Populate(snapshot, Prometheus.Metrics.WithCustomRegistry(registry));
        await registry.CollectAndExportAsTextAsync(destination, prometheusText ? ExpositionFormat.PrometheusText : ExpositionFormat.OpenMetricsText, cancellationToken);
    }

    /// <summary>As <see cref="WriteAsync"/>, in memory.</summary>
    public static async Task<string> RenderAsync(MetricsSnapshot snapshot, CancellationToken cancellationToken = default, bool prometheusText = false)
    {
        using var buffer = new MemoryStream();
        await WriteAsync(snapshot, buffer, cancellationToken, prometheusText);
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void Populate(MetricsSnapshot snapshot, IMetricFactory factory)
    {
        var state = snapshot.State;
        Gauge(factory, KernelInfo, "The running kernel's release (value 1).", "release").WithLabels(state.KernelRelease).Set(1);

        var sessions = Gauge(factory, Sessions, "Sessions in luod's custody, per owner (uid) and state.", "owner", "state");
        var bytes = Gauge(factory, PreservedBytes, "Bytes preserved in luod's sessions per owner (uid), all states.", "owner");
        foreach (var owner in state.Owners)
            sessions.WithLabels(Uid(owner.Owner), owner.State.ToWireName()).Set(owner.Sessions);
        foreach (var owner in state.Owners.GroupBy(o => o.Owner))
            bytes.WithLabels(Uid(owner.Key)).Set(owner.Sum(o => o.PreservedBytes));

        Gauge(factory, CustodyLost, "1 when luod lost custody of sessions (killed while holding them, or its catalog was damaged); luoctl status says why.")
            .Set(state.CustodyLost ? 1 : 0);
        Gauge(factory, OrphanSessions, "Sessions past the orphan grace that no owner claimed after the kexec.").Set(state.Orphans);

        var verdicts = Gauge(factory, StagedKernelPreflight,
            "The preflight verdict (go, goWithWarnings, noGo) of the last kernel luod checked for an update, 1 for the verdict it got and 0 for the others.",
            "verdict", "next_release");
        var staged = Gauge(factory, KernelStaged, "1 while the kernel of an update is staged (kexec_file_load done) and not yet rebooted into or unloaded.");
        staged.Set(state.Preflight?.Staged == true ? 1 : 0);
        if (state.Preflight is { } preflight)
            foreach (var verdict in Enum.GetValues<PreflightStateVerdict>())
                verdicts.WithLabels(verdict.ToWireName(), preflight.NextRelease ?? "").Set(verdict == preflight.Verdict ? 1 : 0);

        var kexecs = factory.CreateCounter(Kexecs,
            "kexecs since the cold boot. source: khoDebugfs (the kernel's KHO kexec-metadata in debugfs), kernelLog (its 'exec from' line in the last update's timeline; debugfs not mounted), luod (no handover in this boot, so 0).",
            new CounterConfiguration { LabelNames = ["source"] });
        if (state.KexecCount is { } count)
            kexecs.WithLabels(state.KexecCountSource.ToWireName()).IncTo(count);
        var previous = Gauge(factory, PreviousKernelInfo, "The release of the kernel that kexec'd into this one (value 1), and where luod read it (as for luod_kexecs_total).", "release", "source");
        if (state.PreviousRelease is { } previousRelease)
            previous.WithLabels(previousRelease, state.KexecCountSource.ToWireName()).Set(1);

        var completed = snapshot.CompletedUpdates;
        factory.CreateCounter(UpdatesCompleted, "Completed live updates luod has on record (its catalog keeps the last 10 across kexecs).").IncTo(completed.Count);
        var phaseHistogram = Histogram(factory, UpdatePhaseDuration, "Duration of each phase of the completed updates on record.", "phase");
        var blackoutHistogram = Histogram(factory, UpdateBlackout, "Total blackout (first participant's pause to the last one's resume) of the completed updates on record.");
        var participantHistogram = Histogram(factory, UpdateParticipantBlackout, "Each participant's blackout (its pause to its resume) in the completed updates on record.", "participant");
        foreach (var report in completed)
        {
            foreach (var phase in report.Phases.Where(p => p.DurationNs >= 0))
                phaseHistogram.WithLabels(PhaseName(phase.Phase)).Observe(Seconds(phase.DurationNs));
            if (report.TotalBlackoutNs is { } total and >= 0) blackoutHistogram.Observe(Seconds(total));
            foreach (var client in report.Clients)
                if (client.BlackoutNs is { } blackout and >= 0)
                    participantHistogram.WithLabels(client.Client).Observe(Seconds(blackout));
        }

        var info = Gauge(factory, LastUpdateInfo, "The newest completed update (value 1): its id, the kernels and the clock basis of its times (tsc: exact; realtime: the next kernel's times are ±1 s).",
            "update_id", "previous_release", "next_release", "clock_basis");
        var start = Gauge(factory, LastUpdateStart, "When the newest completed update started (CLOCK_REALTIME, Unix seconds).");
        var lastPhases = Gauge(factory, LastUpdatePhaseDuration, "Duration of each phase of the newest completed update.", "phase");
        var lastBlackout = Gauge(factory, LastUpdateBlackout, "Total blackout of the newest completed update (first pause to last resume).");
        var lastParticipants = Gauge(factory, LastUpdateParticipantBlackout, "Each participant's blackout in the newest completed update, as `luoctl report` prints it.", "participant");
        if (completed.Count == 0) return;
        var last = completed[^1];
        info.WithLabels(last.UpdateId, last.PreviousRelease ?? "", last.NextRelease ?? "", last.ClockBasis == ClockBasis.Tsc ? "tsc" : "realtime").Set(1);
        if (last.OriginRealtimeNs is { } origin) start.Set(Seconds(origin));
        foreach (var phase in last.Phases)
            lastPhases.WithLabels(PhaseName(phase.Phase)).Set(Seconds(phase.DurationNs));
        if (last.TotalBlackoutNs is { } lastTotal) lastBlackout.Set(Seconds(lastTotal));
        foreach (var client in last.Clients)
            if (client.BlackoutNs is { } blackout)
                lastParticipants.WithLabels(client.Client).Set(Seconds(blackout));
    }

    /// <summary>ns as seconds, the unit of every duration family.</summary>
    public static double Seconds(long ns) => ns / 1e9;

    /// <summary>A phase as its label value: the timeline JSON's name (staged, prepare, …, kernelBoot).</summary>
    public static string PhaseName(UpdatePhase phase)
    {
        string name = phase.ToString();
        return char.ToLowerInvariant(name[0]) + name[1..];
    }

    private static string Uid(long owner) => owner.ToString(CultureInfo.InvariantCulture);

    // Absent until set: a gauge of "no update yet" is no sample rather than a misleading 0.
    private static Gauge Gauge(IMetricFactory factory, string name, string help, params string[] labels) =>
        factory.CreateGauge(name, help, new GaugeConfiguration { LabelNames = labels, SuppressInitialValue = labels.Length == 0 && name.StartsWith("luod_last_update", StringComparison.Ordinal) });

    private static Histogram Histogram(IMetricFactory factory, string name, string help, params string[] labels) =>
        factory.CreateHistogram(name, help, new HistogramConfiguration { LabelNames = labels, Buckets = [.. DurationBuckets] });
}
