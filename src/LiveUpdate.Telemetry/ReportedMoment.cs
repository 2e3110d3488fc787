// ReportedMoment: an event at a moment a participant reported instead of the moment luod
// heard of it — a VMM's vCPUs stopped (pausedAtNs) a little before its freeze
// acknowledgement, or ran again (resumedAtNs) a little before it called Resumed. The
// participant gives CLOCK_REALTIME; luod takes its own sample at the call and shifts every
// clock of it back by the same span (boottime in ns, the TSC in ticks of the known
// frequency), so the event sits on the report's axis like any sample. The event is placed
// where its moment falls among luod's own samples of that kernel (it replaces the client's
// earlier event of that name), so a report still reads recorded order as time order.
using LiveUpdate.Kernel;

namespace LiveUpdate.Telemetry;

public static class ReportedMoment
{
    /// <summary>
    /// <paramref name="now"/> moved back to <paramref name="realtimeNs"/> on every clock. A moment after
    /// <paramref name="now"/> (within the caller's tolerance) is taken as now. Without a TSC frequency the
    /// shifted sample has no TSC reading rather than a guessed one (the report places events by boottime;
    /// only a kernel's first and last samples bridge the kexec, and a reported moment is neither).
    /// </summary>
    public static ClockSample Sample(ClockSample now, long realtimeNs, TscFrequency? tscFrequency)
    {
        long back = Math.Max(0, now.RealtimeNs - realtimeNs);
        ulong? tsc = null;
        if (now.Tsc is { } ticks && tscFrequency is { Hz: > 0 } f)
        {
            double backTicks = Math.Round(back * f.Hz / 1e9);
            if (backTicks <= ticks) tsc = ticks - (ulong)backTicks;
        }
        return new ClockSample(now.RealtimeNs - back, now.BoottimeNs - back, tsc);
    }

    /// <summary>
    /// A copy of <paramref name="timeline"/> where <paramref name="client"/>'s event <paramref name="name"/> (a
    /// well-known daemon event) is the one at <paramref name="sample"/>: any it had is removed, and the new one
    /// follows the last daemon sample of its kernel that is not later. Its phase is the one luod was in then
    /// (that of the event it follows), never earlier than the name's own phase: a participant that serves until
    /// freeze pauses in <see cref="UpdatePhase.Freeze"/>.
    /// </summary>
    public static UpdateTimeline Record(UpdateTimeline timeline, string name, string client, ClockSample sample, string? detail)
    {
        UpdatePhase phase = TimelineEvents.PhaseOf(name) ?? throw new ArgumentException($"'{name}' is not a well-known event.", nameof(name));
        KernelSide kernel = TimelineEvents.SideOf(phase);
        var events = timeline.Events.Where(e => !(e.Name == name && e.Client == client)).ToList();
        int after = events.FindLastIndex(e => e.Kernel == kernel && e.Source == EventSource.Daemon && e.Sample is { } s && s.BoottimeNs <= sample.BoottimeNs);
        if (after >= 0 && events[after].Phase > phase) phase = events[after].Phase;
        events.Insert(after + 1, new TimelineEvent(name, phase, kernel, client, sample, null, EventSource.Daemon, detail));
        return timeline with { Events = events };
    }
}
