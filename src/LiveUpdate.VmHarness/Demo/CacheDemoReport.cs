// CacheDemoReport: what `luvm demo` prints at the end: the kernels, the items loaded and
// verified, the blackout the client saw next to the one luod measured, luod's phase table and
// where the SVG timeline and the logs are. A failure names what went wrong and where to look.
using System.Globalization;
using System.Text;

namespace LiveUpdate.VmHarness.Demo;

public static class CacheDemoReport
{
    public static string Text(CacheDemoResult demo)
    {
        var run = demo.Run;
        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine($"LiveUpdate demo: lucache keeps its items through a live update {string.Join(" → ", run.Kernels.Select(k => k.Release))}");
        foreach (var kernel in run.Kernels)
        {
            text.AppendLine($"  kernel {kernel.Series}: {kernel.Release} (Debian linux-source {kernel.PackageVersion}, tinyconfig + vm/kernel.fragment)");
        }
        text.AppendLine($"  loaded:    {demo.LoadSummary ?? "(not reached)"}");
        text.AppendLine($"  verified:  {demo.VerifySummary ?? "(not reached)"}");
        text.AppendLine();
        text.AppendLine("Blackout");
        if (demo.Probe is { } probe)
        {
            text.AppendLine($"  client (host, 10 ms gets through the port forward): longest gap between replies {Seconds(probe.LongestGap)}");
            text.AppendLine($"    {probe.Describe()}");
            text.AppendLine(demo.ClientSawItBack
                ? "    the client got its key back after the gap: the data survived the kernel update"
                : "    the client did NOT get replies after the gap");
        }
        else
        {
            text.AppendLine("  client: never started (the guest did not finish loading the cache)");
        }
        text.AppendLine(demo.LuodCacheBlackoutNs is { } ns
            ? $"  luod (participant \"cache\": paused → resumed): {(ns / 1e9).ToString("0.000", CultureInfo.InvariantCulture)} s" +
              (demo.LuodUncertaintyNs is > 0 and var u ? $" ±{u / 1e9:0} s (the next kernel's clock came from the RTC)" : "")
            : "  luod: no report");
        if (demo.Probe is { } p && demo.LuodCacheBlackoutNs is { } luod)
        {
            text.AppendLine($"  luod counts from the cache's prepare (writes paused, gets still served) to its Resumed call; the client");
            text.AppendLine($"  counts only the time nothing answered: client − luod = {(p.LongestGap.TotalSeconds - luod / 1e9):+0.000;-0.000} s");
        }
        if (demo.ReportTable is { } table)
        {
            text.AppendLine();
            text.AppendLine("luod's report (luoctl report, in the new kernel):");
            text.AppendLine(table.TrimEnd());
        }
        text.AppendLine();
        if (demo.SvgPath is { } svg)
        {
            text.AppendLine($"Timeline SVG: {svg}");
        }
        text.AppendLine($"Logs: {run.RunDirectory} (console.log, results.jsonl, qemu.cmd)");
        text.AppendLine($"Total: {run.WallTime.TotalSeconds:0.0} s, of which the VM {run.Qemu.WallTime.TotalSeconds:0.0} s");
        text.AppendLine(demo.Passed ? "Result: PASSED" : "Result: FAILED");
        if (!demo.Passed)
        {
            if (!run.Passed)
            {
                text.AppendLine();
                text.Append(run.FailureSummary);
            }
            else if (!demo.ClientSawItBack)
            {
                text.AppendLine("The guest passed but the host's client never got replies after the update: check the port forward in qemu.cmd and lucache's log in console.log.");
            }
        }
        return text.ToString();
    }

    private static string Seconds(TimeSpan span) => $"{span.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture)} s";
}
