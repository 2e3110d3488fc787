// ScenarioTests.PreviousKernelLog: the previous kernel's log kept in RAM (pstore/ramoops) across a real 7.2 → 7.3
// kexec, with a quiet console on both kernels (previous-kernel-log, docs/telemetry.md "The previous
// kernel's log"): 7.2's shutdown dump is in 7.3's pstore, `luoctl report` shows its shutdown lines in
// the kernel handover, and the participant's bytes are intact (SHA-256).
using System.Text.Json.Nodes;
using LiveUpdate.GuestContract;
using static LiveUpdate.VmTests.PassingRun;

namespace LiveUpdate.VmTests;

// Part of ScenarioTests (same fixture and output), in a file of its own for the pstore scenario.
public sealed partial class ScenarioTests
{
    [Fact]
    public async Task The_previous_kernels_shutdown_lines_reach_the_report_through_pstore_with_a_quiet_console()
    {
        var result = await PassingRun.RunAsync(fixture, output, ScenarioNames.PreviousKernelLog, ["7.2", "7.3"],
            TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(45), quietConsole: true);
        AssertStepsPassed(result, 0, StepNames.PreviousKernelLog.Configured, StepNames.PreviousKernelLog.Participant);
        AssertStepsPassed(result, 1, StepNames.PreviousKernelLog.Records, StepNames.PreviousKernelLog.Resume,
            StepNames.PreviousKernelLog.ShutdownLines, StepNames.PreviousKernelLog.Table);

        string configured = StepDetail(result, 0, StepNames.PreviousKernelLog.Configured);
        Assert.Contains("max_reason 4", configured);
        Assert.Contains("console log level 4", configured);
        Assert.Contains("intact", StepDetail(result, 1, StepNames.PreviousKernelLog.Resume));

        // The dump 7.3 found is 7.2's: its last line is the kexec's.
        Assert.Contains("kexec_core: Starting new kernel", StepDetail(result, 1, StepNames.PreviousKernelLog.Records));

        var report = JsonNode.Parse(StepDetail(result, 1, StepNames.PreviousKernelLog.ShutdownLines))!;
        Assert.StartsWith("7.2", report["previousRelease"]!.GetValue<string>());
        var handover = report["handover"]!;
        var lines = handover["previousKernelLines"]!.AsArray();
        long reboot = handover["rebootNs"]!.GetValue<long>();
        long shutdown = handover["previousKernelShutdownNs"]!.GetValue<long>();
        // 7.2's "Starting new kernel" came from pstore, at luod's reboot call or after it: printk's clock and the
        // CLOCK_BOOTTIME luod samples differ by milliseconds (−7 to +95 ms measured), hence the merge's slack.
        long slack = Telemetry.KernelLogMerge.ShutdownClockSlackNs;
        Assert.InRange(shutdown, reboot - slack, reboot + 5_000_000_000);
        // Every other merged line (7.2 logs none here: LUO/KHO serialise silently) lies between the two, in order.
        var times = lines.Select(l => l!["atNs"]!.GetValue<long>()).ToList();
        Assert.All(times, t => Assert.InRange(t, reboot - slack, shutdown));
        Assert.Equal(times.Order(), times);
        var fromPstore = report["events"]!.AsArray().Where(e => e!["name"]!.GetValue<string>() == "kernel.shutdownLine").ToList();
        Assert.Equal(lines.Count, fromPstore.Count);
        Assert.All(fromPstore, e => Assert.Equal("pstore", e!["source"]!.GetValue<string>()));

        string table = StepDetail(result, 1, StepNames.PreviousKernelLog.Table);
        Assert.Contains("previous kernel: Starting new kernel", table);
        output.WriteLine(table);
        await File.WriteAllTextAsync(Path.Combine(result.RunDirectory, "update-report.txt"), table);
    }

    private static string StepDetail(VmHarness.Runs.VmRunResult result, int hop, string step) =>
        result.Report.Steps.Single(s => s.Hop == hop && s.Name == step).Detail;
}
