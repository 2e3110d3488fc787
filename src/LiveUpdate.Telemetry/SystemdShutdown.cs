// SystemdShutdown: systemd's own account of the shutdown that ended the previous kernel, placed
// on the update's timeline. systemd 262 keeps four CLOCK_REALTIME timestamps across the kexec
// (Manager.PreviousShutdown{Start,Finish,LateStart,LateFinish}Timestamp: units start stopping,
// every unit stopped, systemd-shutdown starts, systemd-shutdown about to kexec), and when the
// update's reboot was systemd's they are the share of the blackout its shutdown takes. luod reads
// them in the next kernel; each becomes a previous-kernel event of the reboot phase right after
// luod's "reboot" event. Its time in that kernel is luod's reboot sample moved forward by the
// realtime span, carried as KernelLogNs and not as a Sample: a moment systemd reported is not one
// of luod's samples, so it never takes part in bridging the kexec (ClockMapping uses the last
// sample of the previous kernel, whose TSC reading a reported moment does not have). Moments
// before luod's reboot event belong to some other shutdown and are left out.
namespace LiveUpdate.Telemetry;

public static class SystemdShutdown
{
    public const string Start = "systemd.shutdown.start";
    public const string Finish = "systemd.shutdown.finish";
    public const string LateStart = "systemd.shutdown.late-start";
    public const string LateFinish = "systemd.shutdown.late-finish";

    /// <summary>The events, in the order systemd passes them.</summary>
    public static readonly IReadOnlyList<string> Names = [Start, Finish, LateStart, LateFinish];

    /// <summary>What each event means, for report tables.</summary>
    public static string Describe(string name) => name switch
    {
        Start => "systemd: stopping units",
        Finish => "systemd: every unit stopped",
        LateStart => "systemd-shutdown started",
        LateFinish => "systemd-shutdown: kexec",
        _ => name,
    };

    /// <summary>
    /// <paramref name="timeline"/> with systemd's <paramref name="moments"/> (event name → CLOCK_REALTIME ns) after its
    /// last "reboot" event, replacing any earlier copy; unchanged when it has no sampled reboot event or no moment follows it.
    /// </summary>
    public static UpdateTimeline With(UpdateTimeline timeline, IReadOnlyList<(string Name, long RealtimeNs)> moments, string? detail)
    {
        var events = timeline.Events.Where(e => !Names.Contains(e.Name)).ToList();
        int reboot = events.FindLastIndex(e => e.Name == TimelineEvents.Reboot && e.Kernel == KernelSide.Previous && e.Sample is not null);
        if (reboot < 0) return timeline;
        var sample = events[reboot].Sample!.Value;
        var after = moments.Where(m => m.RealtimeNs >= sample.RealtimeNs && Names.Contains(m.Name)).OrderBy(m => m.RealtimeNs).ToList();
        if (after.Count == 0) return timeline;
        events.InsertRange(reboot + 1, after.Select(m => new TimelineEvent(m.Name, UpdatePhase.Reboot, KernelSide.Previous,
            KernelLogNs: sample.BoottimeNs + (m.RealtimeNs - sample.RealtimeNs), Source: EventSource.Daemon, Detail: detail)));
        return timeline with { Events = events };
    }
}
