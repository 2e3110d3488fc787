// VmHeartbeat: the small VM's ticks as the host received them (lu-guest forwards each as a mark,
// the host stamps it on arrival): how long an observer of the VM heard nothing across the update —
// from the last beat before to the first after. It is the client's view, like the cache demo's
// probe, not the blackout: it also holds any time before the stop when the VM got no CPU (luod's
// preflight and kexec_file_load share the test guest's 2 vCPUs with the VM's TCG) and the
// forwarding latency. The VM's own uptime over the same span is given too, but it cannot be
// subtracted: nested under TCG, the VM's kernel loses time while its vCPU is starved (seen: 1.2 s
// of uptime over 84 s of silence in a run whose luod blackout was 30.7 s).
using System.Globalization;
using System.Text.RegularExpressions;
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness.Runs;

namespace LiveUpdate.VmHarness.Demo;

public sealed record VmBeat(int Hop, TimeSpan At, double UptimeSeconds);

public sealed record VmHeartbeatGap(TimeSpan Gap, TimeSpan VmUptimeAdvanced);

public static partial class VmHeartbeat
{
    [GeneratedRegex(@"uptime=(?<up>[0-9.]+)")]
    private static partial Regex Uptime();

    /// <summary>The beat a tick mark is, or null for any other line.</summary>
    public static VmBeat? From(ObservedGuestLine observed) =>
        observed.Line is { Type: GuestReportLineTypes.Mark, Name: StepNames.VmUpdate.TickMark } line && Uptime().Match(line.Detail ?? "") is { Success: true } m
            ? new VmBeat(line.Hop ?? -1, observed.At, double.Parse(m.Groups["up"].Value, CultureInfo.InvariantCulture))
            : null;

    /// <summary>The silence from the last beat of hop 0 to the first of hop 1, and how far the VM's uptime moved over it.</summary>
    public static VmHeartbeatGap? Across(IReadOnlyList<VmBeat> beats)
    {
        var before = beats.LastOrDefault(b => b.Hop == 0);
        var after = beats.FirstOrDefault(b => b.Hop == 1);
        if (before is null || after is null) return null;
        var gap = after.At - before.At;
        return new VmHeartbeatGap(gap, TimeSpan.FromSeconds(after.UptimeSeconds - before.UptimeSeconds));
    }
}
