// ReportedMomentCheck: what luod accepts as a moment a participant reports (Acknowledge's
// pausedAtNs, Resumed's resumedAtNs; CLOCK_REALTIME ns). The participant reads the same
// clock luod does, so a moment later than now can only be a mistake — luod allows a few ms
// for clocks read in another process, rounded to µs (QEMU's QMP events). A moment before
// the bound the caller gives (the update asked participants to prepare; luod started in
// this kernel) cannot belong to this update. Refusals are io.liveupdate.InvalidParameter
// naming the field and why.
using LiveUpdate.Varlink;

namespace LiveUpdate.Daemon;

public static class ReportedMomentCheck
{
    /// <summary>How far past luod's "now" a reported moment may lie (then it counts as now).</summary>
    public static readonly TimeSpan FutureTolerance = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Refuses <paramref name="momentNs"/> of <paramref name="parameter"/> unless it lies between
    /// <paramref name="notBeforeNs"/> (what that is: <paramref name="notBeforeWhat"/>) and
    /// <paramref name="nowNs"/> plus <see cref="FutureTolerance"/>.
    /// </summary>
    public static void Check(string parameter, long momentNs, long nowNs, long notBeforeNs, string notBeforeWhat)
    {
        if (momentNs < 0)
            throw Refuse(parameter, $"{momentNs} is negative; it is CLOCK_REALTIME in ns since the Unix epoch");
        long tolerance = (long)FutureTolerance.TotalNanoseconds;
        if (momentNs > nowNs + tolerance)
            throw Refuse(parameter, $"it lies {Telemetry.Durations.Format(momentNs - nowNs)} in the future (luod allows {Telemetry.Durations.Format(tolerance)}); give the moment the workload really paused or served again, read from CLOCK_REALTIME");
        if (momentNs < notBeforeNs)
            throw Refuse(parameter, $"it lies {Telemetry.Durations.Format(notBeforeNs - momentNs)} before {notBeforeWhat}, so it cannot belong to this update");
    }

    private static VarlinkErrorException Refuse(string parameter, string reason) => LuodErrors.InvalidParameter(parameter, reason);
}
