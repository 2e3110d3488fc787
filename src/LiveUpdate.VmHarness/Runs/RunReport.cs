// RunReport: the human-readable text of a finished run for the CLI: the step table for `luvm run`,
// and for `luvm run --explain` a walk-through of kernels, steps (with what they verified), boot times, total time and logs.
using System.Globalization;
using System.Text;

namespace LiveUpdate.VmHarness.Runs;

public static class RunReport
{
    public static string Summary(VmRunResult result)
    {
        var text = new StringBuilder();
        text.AppendLine($"scenario {result.Request.Scenario}, chain {string.Join(" → ", result.Request.Chain)}: {(result.Passed ? "PASSED" : "FAILED")}");
        text.Append(StepTable.Format(result.Report));
        text.AppendLine(BootTimes(result));
        text.AppendLine($"total {result.WallTime.TotalSeconds:0.0} s (VM {result.Qemu.WallTime.TotalSeconds:0.0} s); logs in {result.RunDirectory}");
        if (!result.Passed)
        {
            text.AppendLine();
            text.Append(result.FailureSummary);
        }
        return text.ToString();
    }

    public static string Walkthrough(VmRunResult result)
    {
        var text = new StringBuilder();
        text.AppendLine($"LiveUpdate demo: scenario {result.Request.Scenario} preserves state across a real kexec between kernels");
        text.AppendLine();
        text.AppendLine("Kernels (tinyconfig + vm/kernel.fragment, built from Debian linux-source):");
        foreach (var kernel in result.Kernels)
        {
            text.AppendLine($"  {kernel.Series}: release {kernel.Release}, package {kernel.PackageVersion}, bzImage {Size(kernel.BzImage)}");
        }
        text.AppendLine($"Initramfs: {result.InitramfsBytes / 1048576.0:0.0} MiB (busybox, the native lu-guest, luoctl, luod and lucache, their shared libraries, the chain's bzImages, the scenario's extras)");
        text.AppendLine();
        foreach (var hop in Enumerable.Range(0, result.Request.Chain.Count))
        {
            var boot = result.Report.Boots.FirstOrDefault(b => b.Hop == hop);
            var init = hop < result.BootToInitSeconds.Count ? $", /init after {result.BootToInitSeconds[hop]:0.00} s" : "";
            text.AppendLine(boot is null
                ? $"Hop {hop} ({result.Request.Chain[hop]}): never booted"
                : $"Hop {hop}: kernel {boot.Release} up{init}, lu-guest reporting at {boot.UptimeMs / 1000:0.00} s uptime");
            foreach (var step in result.Report.Steps.Where(s => s.Hop == hop))
            {
                text.AppendLine($"  [{(step.Ok ? " ok " : "FAIL")}] {step.Name} ({step.Ms.ToString("0", CultureInfo.InvariantCulture)} ms)");
                if (step.Detail.Length > 0)
                {
                    text.AppendLine($"         {step.Detail.ReplaceLineEndings("\n         ")}");
                }
            }
        }
        if (result.Report.End is { } end)
        {
            text.AppendLine($"End (hop {end.Hop}): {(end.Ok ? "ok" : "FAILED")} {end.Detail}");
        }
        text.AppendLine();
        text.AppendLine(BootTimes(result));
        text.AppendLine($"Total: {result.WallTime.TotalSeconds:0.0} s including the VM's {result.Qemu.WallTime.TotalSeconds:0.0} s");
        text.AppendLine($"Logs: {result.RunDirectory} (console.log = serial console, results.jsonl = guest reports, qemu.cmd = how to reproduce)");
        text.AppendLine(result.Passed ? "Result: PASSED" : "Result: FAILED");
        if (!result.Passed)
        {
            text.AppendLine();
            text.Append(result.FailureSummary);
        }
        return text.ToString();
    }

    private static string BootTimes(VmRunResult result) =>
        result.BootToInitSeconds.Count == 0
            ? "boot to /init: not seen in the console"
            : "boot to /init per hop: " + string.Join(", ", result.BootToInitSeconds.Select((s, i) => $"hop {i} {s:0.00} s"));

    private static string Size(string path) => File.Exists(path) ? $"{new FileInfo(path).Length / 1048576.0:0.0} MiB" : "missing";
}
