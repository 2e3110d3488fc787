// VmDemoReport: what `luvm demo --workload vm` prints at the end: the kernels, the VM, whether it
// went on (same boot, ticks and uptime continuing, seeded region intact), its blackout as luod,
// the host's view of its heartbeat and luqemu each saw it, luod's table, and where the logs are.
using System.Globalization;
using System.Text;

namespace LiveUpdate.VmHarness.Demo;

public static class VmDemoReport
{
    private static string Seconds(TimeSpan span) => $"{span.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture)} s";

    public static string Text(VmDemoResult demo)
    {
        var run = demo.Run;
        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine($"LiveUpdate demo: a QEMU VM keeps its RAM and its uptime through a live update {string.Join(" → ", run.Kernels.Select(k => k.Release))}");
        foreach (var kernel in run.Kernels)
            text.AppendLine($"  kernel {kernel.Series}: {kernel.Release} (Debian linux-source {kernel.PackageVersion}, tinyconfig + vm/kernel.fragment)");
        text.AppendLine($"  VM: {demo.Options.Mib} MiB RAM in a memfd luod preserves, 1 vCPU, Debian's QEMU (TCG) run by luqemu inside the test guest; busybox VM (vm/vm-guest-init.sh)");
        text.AppendLine();
        text.AppendLine("Continuity");
        if (demo.LastTickBefore is { } b && demo.FirstTickAfter is { } a)
        {
            text.AppendLine($"  before the update: boot {b.BootId}, tick {b.Tick}, uptime {b.UptimeSeconds:0.00} s (last tick the first kernel's console showed)");
            text.AppendLine($"  after the update:  boot {a.BootId}, tick {a.Tick}, uptime {a.UptimeSeconds:0.00} s (first tick in the next kernel)");
        }
        text.AppendLine(demo.ContinuityProblem is null
            ? "  the same boot went on: no reboot of the VM, ticks and uptime continue, every check of its seeded RAM region matched"
            : $"  BROKEN: {demo.ContinuityProblem}");
        text.AppendLine();
        text.AppendLine("Blackout (vCPU pause → vCPU resume)");
        text.AppendLine(demo.LuodBlackoutNs is { } ns
            ? $"  luod (participant \"vm\": QEMU's STOP → RESUME): {(ns / 1e9).ToString("0.000", CultureInfo.InvariantCulture)} s"
              + (demo.LuodUncertaintyNs is > 0 and var u ? $" ±{u / 1e9:0} s (the next kernel's clock came from the RTC)" : "")
            : "  luod: no report");
        text.AppendLine(demo.Heartbeat is { } beat
            ? $"  host (an observer of the VM's heartbeat): silent for {Seconds(beat.Gap)} from the last beat before to the first after — the blackout plus any time the VM got no CPU before the stop (the VM's own uptime moved {Seconds(beat.VmUptimeAdvanced)}: nested under TCG its clock loses time when starved)"
            : "  host: no heartbeat on both sides of the update");
        if (demo.Options.VerifyRam)
            text.AppendLine("  (--verify-ram: luqemu hashed the RAM after the stop and after the claim, inside the blackout)");
        if (demo.FreezeAccount is { } freeze) text.AppendLine($"  {freeze}");
        if (demo.ResumeAccount is { } resume) text.AppendLine($"  luqemu: {resume}");
        if (demo.ReportTable is { } table)
        {
            text.AppendLine();
            text.AppendLine("luod's report (luoctl report, in the new kernel):");
            text.AppendLine(table.TrimEnd());
        }
        text.AppendLine();
        if (demo.SvgPath is { } svg) text.AppendLine($"Timeline SVG: {svg}");
        text.AppendLine($"Logs: {run.RunDirectory} (console.log, results.jsonl, qemu.cmd)");
        text.AppendLine($"Total: {run.WallTime.TotalSeconds:0.0} s, of which the VM {run.Qemu.WallTime.TotalSeconds:0.0} s");
        text.AppendLine(demo.Passed ? "Result: PASSED" : "Result: FAILED");
        if (!demo.Passed && !run.Passed)
        {
            text.AppendLine();
            text.Append(run.FailureSummary);
        }
        return text.ToString();
    }
}
