// VmRunResult: the outcome of one VM run: what the guest reported, how QEMU ended, per-hop
// boot-to-init times, wall time, the run directory, and a FailureSummary that explains a failure
// on its own (failed steps with details and kmsg, missing lines, the console tail, log paths).
using System.Globalization;
using System.Text;
using LiveUpdate.VmHarness.Kernels;
using LiveUpdate.VmHarness.Qemu;

namespace LiveUpdate.VmHarness.Runs;

public sealed record VmRunResult(
    VmRunRequest Request,
    IReadOnlyList<PreparedKernel> Kernels,
    string RunDirectory,
    GuestReport Report,
    QemuOutcome Qemu,
    IReadOnlyList<double> BootToInitSeconds,
    IReadOnlyList<string> ConsoleTail,
    TimeSpan WallTime,
    long InitramfsBytes)
{
    public const int KmsgExcerptLines = 20;

    public string ConsoleLog => Path.Combine(RunDirectory, "console.log");

    public string ResultsLog => Path.Combine(RunDirectory, "results.jsonl");

    public string QemuLog => Qemu.QemuLog;

    /// <summary>The last hop that should run: chain length − 1.</summary>
    public int ExpectedLastHop => Request.Chain.Count - 1;

    /// <summary>End line ok, every step ok, the last hop of the chain reached, no timeout, no garbled result lines.</summary>
    public bool Passed =>
        !Qemu.TimedOut
        && Report.Problems.Count == 0
        && Report.End is { Ok: true }
        && Report.Steps.All(s => s.Ok)
        && Report.HighestHop == ExpectedLastHop
        && Report.End.Hop == ExpectedLastHop;

    public IReadOnlyList<string> FailureReasons
    {
        get
        {
            var reasons = new List<string>();
            if (Qemu.TimedOut)
            {
                reasons.Add($"the run exceeded its {Request.Timeout.TotalSeconds:0} s timeout and QEMU was killed");
            }
            if (Report.End is null)
            {
                reasons.Add($"the guest never wrote an end line (QEMU exit code {Qemu.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "none"}; a kernel panic or a crashed lu-guest shows in the console tail)");
            }
            else if (!Report.End.Ok)
            {
                reasons.Add($"the guest's end line says failed on hop {Report.End.Hop}: {Report.End.Detail}");
            }
            var failedSteps = Report.Steps.Count(s => !s.Ok);
            if (failedSteps > 0)
            {
                reasons.Add($"{failedSteps} step(s) failed");
            }
            if (Report.HighestHop != ExpectedLastHop)
            {
                reasons.Add($"reached hop {Report.HighestHop}, expected the chain's last hop {ExpectedLastHop}");
            }
            else if (Report.End is { } end && end.Hop != ExpectedLastHop)
            {
                reasons.Add($"the end line came from hop {end.Hop}, not the last hop {ExpectedLastHop}");
            }
            if (Report.Problems.Count > 0)
            {
                reasons.Add($"{Report.Problems.Count} result line(s) could not be understood (listed below)");
            }
            return reasons;
        }
    }

    /// <summary>Empty when passed; otherwise a self-contained explanation for an assert message.</summary>
    public string FailureSummary
    {
        get
        {
            if (Passed)
            {
                return "";
            }
            var text = new StringBuilder();
            text.AppendLine($"VM run of scenario {Request.Scenario} on chain {string.Join(" → ", Request.Chain)} FAILED:");
            foreach (var reason in FailureReasons)
            {
                text.AppendLine($"  - {reason}");
            }
            foreach (var step in Report.Steps.Where(s => !s.Ok))
            {
                text.AppendLine($"  failed step hop {step.Hop} ({step.Release}) {step.Name} after {step.Ms:0} ms: {step.Detail}");
                foreach (var line in step.Kmsg.Skip(Math.Max(0, step.Kmsg.Count - KmsgExcerptLines)))
                {
                    text.AppendLine($"      kmsg: {line}");
                }
            }
            foreach (var problem in Report.Problems)
            {
                text.AppendLine($"  - {problem}");
            }
            if (Report.Steps.Count > 0)
            {
                text.AppendLine("Steps:");
                text.Append(StepTable.Format(Report));
            }
            text.AppendLine($"Last {ConsoleTail.Count} console lines ({ConsoleLog}):");
            foreach (var line in ConsoleTail)
            {
                text.AppendLine("  | " + line);
            }
            text.AppendLine($"Logs: {RunDirectory} (console.log, results.jsonl, qemu.log)");
            return text.ToString();
        }
    }
}
