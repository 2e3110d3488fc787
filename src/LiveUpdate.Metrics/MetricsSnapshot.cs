// MetricsSnapshot: everything luod's metrics are computed from, in the shape luod reports over
// Varlink — GetMetrics' MetricsState and GetUpdates' completed timelines — so that luod (serving
// MetricsListen) and luoctl (report --openmetrics, from the two replies) feed the same input to
// LuodMetricFamilies and write the same families and values.
using LiveUpdate.Protocol;
using LiveUpdate.Telemetry;

namespace LiveUpdate.Metrics;

/// <param name="State">Sessions, custody, orphans, preflight and kexec count (io.liveupdate.GetMetrics).</param>
/// <param name="CompletedUpdates">The completed updates luod has on record, oldest first (io.liveupdate.GetUpdates).</param>
public sealed record MetricsSnapshot(MetricsState State, IReadOnlyList<UpdateReport> CompletedUpdates)
{
    /// <summary>From the two Varlink replies: the completed timelines are JSON text (docs/telemetry.md).</summary>
    public static MetricsSnapshot From(MetricsState state, GetUpdatesReply updates) =>
        new(state, [.. updates.Completed.Select(text => UpdateReport.From(TelemetryJson.DeserializeTimeline(text)))]);

    /// <summary>From luod's own timelines (what GetUpdates serializes).</summary>
    public static MetricsSnapshot From(MetricsState state, IEnumerable<UpdateTimeline> completed) =>
        new(state, [.. completed.Select(UpdateReport.From)]);
}
