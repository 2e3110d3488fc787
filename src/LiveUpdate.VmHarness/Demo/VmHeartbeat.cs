// VmHeartbeat: the small VM's ticks as the host received them (lu-guest forwards each as a mark,
// the host stamps it on arrival) and what they say about the blackout on the host's clock. The gap
// between the last tick before the update and the first after contains the blackout plus the time
// the VM ran between those two ticks — which the VM itself measured: its uptime, since QEMU's
// virtual clock does not run while the VM is stopped (and a migrated VM keeps it). So
//   blackout ≈ host gap − (uptime of the first tick after − uptime of the last tick before),
// good to the forwarding latency (a 20 ms poll of the console log in the guest, the serial line),
// whatever the tick rate — under nested emulation the VM ticks every 0.2–10 s.
using System.Globalization;
using System.Text.RegularExpressions;
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness.Runs;

namespace LiveUpdate.VmHarness.Demo;

public sealed record VmBeat(int Hop, TimeSpan At, double UptimeSeconds);

public sealed record VmHeartbeatGap(TimeSpan Gap, TimeSpan VmRan, TimeSpan Blackout);

public static partial class VmHeartbeat
{
    [GeneratedRegex(@"uptime=(?<up>[0-9.]+)")]
    private static partial Regex Uptime();

    /// <summary>The beat a tick mark is, or null for any other line.</summary>
    public static VmBeat? From(ObservedGuestLine observed) =>
        observed.Line is { Type: GuestReportLineTypes.Mark, Name: StepNames.VmUpdate.TickMark } line && Uptime().Match(line.Detail ?? "") is { Success: true } m
            ? new VmBeat(line.Hop ?? -1, observed.At, double.Parse(m.Groups["up"].Value, CultureInfo.InvariantCulture))
            : null;

    /// <summary>The silence from the last beat of hop 0 to the first of hop 1, and the blackout it contains.</summary>
    public static VmHeartbeatGap? Across(IReadOnlyList<VmBeat> beats)
    {
        var before = beats.LastOrDefault(b => b.Hop == 0);
        var after = beats.FirstOrDefault(b => b.Hop == 1);
        if (before is null || after is null) return null;
        var gap = after.At - before.At;
        var ran = TimeSpan.FromSeconds(after.UptimeSeconds - before.UptimeSeconds);
        return new VmHeartbeatGap(gap, ran, gap - ran);
    }
}
