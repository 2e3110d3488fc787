// UpdateReportSteps: the steps that check `luoctl report` after an orchestrated update (orchestrated-update and
// the cache demo). The JSON must hold every phase across both kernels, no anomalies and a
// positive blackout for each named participant; the table and the SVG are sent to the host.
using System.Text.Json.Nodes;
using LiveUpdate.GuestContract;

namespace LiveUpdate.Guest.Scenarios;

public static class UpdateReportSteps
{
    private static readonly string[] ExpectedPhases = ["staged", "prepare", "freeze", "reboot", "kernelBoot", "startup", "restore", "resume"];

    /// <summary>An update luod did not start (an operator's `systemctl kexec`, frozen under logind's delay lock): no stage, and the reboot is systemd's.</summary>
    public static readonly IReadOnlyList<string> SystemKexecPhases = ["prepare", "freeze", "kernelBoot", "startup", "restore", "resume"];

    public static async Task<bool> RunAsync(ResultChannel results, string prefix, IReadOnlyList<string> participants, IReadOnlyList<string>? expectedPhases = null)
    {
        var expected = expectedPhases ?? ExpectedPhases;
        bool ok = await results.StepAsync(prefix + StepNames.UpdateReport.Report, async () =>
        {
            string json = await LuodProcess.LuoctlOkAsync("report", "--json");
            var report = JsonNode.Parse(json)!;
            var names = report["phases"]!.AsArray().Select(p => p!["phase"]!.GetValue<string>()).ToList();
            var missing = expected.Where(e => !names.Contains(e)).ToList();
            if (missing.Count > 0) throw new InvalidOperationException($"the report lacks phases {string.Join(", ", missing)}: {json}");
            var anomalies = report["anomalies"]?.AsArray() ?? [];
            if (anomalies.Count > 0) throw new InvalidOperationException($"the report has anomalies: {anomalies.ToJsonString()}");
            var clients = report["clients"]!.AsArray();
            foreach (var name in participants)
            {
                var client = clients.FirstOrDefault(c => c!["client"]!.GetValue<string>() == name)
                    ?? throw new InvalidOperationException($"the report has no lane for {name}: {json}");
                if (client["blackoutNs"] is not JsonValue blackout || blackout.GetValue<long>() <= 0)
                    throw new InvalidOperationException($"{name} has no positive blackout: {client.ToJsonString()}");
            }
            return json;
        });
        // One luoctl run prints the table and writes the SVG (each .NET start costs seconds under TCG).
        ok &= await results.StepAsync(prefix + StepNames.UpdateReport.Table, () => LuodProcess.LuoctlOkAsync("report", "--svg", "/tmp/update.svg"));
        ok &= await results.StepAsync(prefix + StepNames.UpdateReport.Svg, async () =>
        {
            string svg = await File.ReadAllTextAsync("/tmp/update.svg");
            if (!svg.Contains("<svg", StringComparison.Ordinal)) throw new InvalidOperationException("luoctl report --svg wrote no SVG");
            return svg;
        });
        return ok;
    }
}
