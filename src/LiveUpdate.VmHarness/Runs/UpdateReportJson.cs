// UpdateReportJson: what the harness reads from `luoctl report --json` as the guest's report step
// carried it (UpdateReportSteps): one participant's blackout, luod's own figure for it.
using System.Text.Json.Nodes;

namespace LiveUpdate.VmHarness.Runs;

public static class UpdateReportJson
{
    /// <summary>The blackout luod measured for participant <paramref name="client"/>, in ns; null when the report has none.</summary>
    public static long? ClientBlackoutNs(JsonNode? report, string client) =>
        report?["clients"]?.AsArray().FirstOrDefault(c => c?["client"]?.GetValue<string>() == client)?["blackoutNs"]?.GetValue<long>();
}
