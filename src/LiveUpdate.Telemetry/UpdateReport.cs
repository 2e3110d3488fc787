// UpdateReport: what an operator wants to know about one live update, computed from its
// timeline: how long each phase took, how long each client was blacked out (paused →
// resumed), the total blackout (first pause → last resume) and where the kernel handover
// spent its time. All times are ns on the ClockMapping axis. Events are never re-sorted:
// anything recorded out of order is listed under Anomalies.
namespace LiveUpdate.Telemetry;

/// <summary>One event placed on the axis.</summary>
public sealed record ReportEvent(
    string Name,
    UpdatePhase Phase,
    KernelSide Kernel,
    string? Client,
    EventSource Source,
    long? OffsetNs,
    bool Approximate,
    string? Detail);

/// <summary>
/// A phase: from its first event to the start of the next phase (the last phase ends at its last event).
/// On the realtime basis a start in the next kernel is ±1 s (<see cref="StartApproximate"/>), and so is a
/// duration that crosses the kexec (<see cref="DurationApproximate"/>); durations within one kernel stay exact.
/// </summary>
public sealed record PhaseSpan(UpdatePhase Phase, long StartNs, long DurationNs, bool StartApproximate, bool DurationApproximate);

/// <summary>
/// One client's blackout: from its pause to its resume — its prepare acknowledgement and its "resumed" call, or
/// the moments it reported instead (pausedAtNs with prepare or freeze, resumedAtNs).
/// </summary>
public sealed record ClientBlackout(
    string Client,
    long? PausedNs,
    long? ClaimedNs,
    long? ResumedNs,
    long? BlackoutNs,
    bool Approximate);

/// <summary>
/// The kernel handover: reboot() called → previous kernel's "Starting new kernel" → next kernel's time 0 →
/// /init → luod started. Durations are null where an end is missing. <see cref="Approximate"/>: on the realtime
/// basis the spans that cross the kexec (<see cref="JumpDurationNs"/>, <see cref="TotalNs"/>) are ±1 s; the others stay exact.
/// </summary>
public sealed record KernelHandover(
    long RebootNs,
    long? PreviousKernelShutdownNs,
    long? NextKernelBootNs,
    long? InitNs,
    long? DaemonStartNs,
    long? ShutdownDurationNs,
    long? JumpDurationNs,
    long? BootToInitNs,
    long? InitToDaemonNs,
    long? TotalNs,
    bool Approximate)
{
    /// <summary>systemd's shutdown between the reboot request and the previous kernel's end (SystemdShutdown), when luod asked systemd to kexec.</summary>
    public IReadOnlyList<HandoverMoment> Systemd { get; init; } = [];

    /// <summary>What the previous kernel logged after the reboot call, from pstore (<see cref="TimelineEvents.KernelShutdownLine"/>); the event is the line.</summary>
    public IReadOnlyList<HandoverMoment> PreviousKernelLines { get; init; } = [];
}

/// <summary>A moment of the handover that is not one of the fixed steps: a <see cref="SystemdShutdown"/> event and its place on the axis.</summary>
public sealed record HandoverMoment(string Event, long AtNs);

public sealed record UpdateReport
{
    public required string UpdateId { get; init; }
    public string? PreviousRelease { get; init; }
    public string? NextRelease { get; init; }
    public int KexecCount { get; init; }
    public ClockBasis ClockBasis { get; init; }
    /// <summary>The error bound of times in the next kernel: 0 on the TSC basis, 1 s on the realtime basis.</summary>
    public long UncertaintyNs { get; init; }
    /// <summary>Wall-clock time (CLOCK_REALTIME ns) of offset 0.</summary>
    public long? OriginRealtimeNs { get; init; }
    public double? TscHz { get; init; }
    public IReadOnlyList<ReportEvent> Events { get; init; } = [];
    public IReadOnlyList<PhaseSpan> Phases { get; init; } = [];
    public IReadOnlyList<ClientBlackout> Clients { get; init; } = [];
    /// <summary>First client pause → last client resume; null without a paused and a resumed client.</summary>
    public long? TotalBlackoutNs { get; init; }
    public long? TotalBlackoutStartNs { get; init; }
    public bool TotalBlackoutApproximate { get; init; }
    public KernelHandover? Handover { get; init; }
    /// <summary>The end of the axis (the latest placed event).</summary>
    public long EndNs { get; init; }
    /// <summary>Events out of order, phases that run backwards, clients that never resumed, clock disagreements.</summary>
    public IReadOnlyList<string> Anomalies { get; init; } = [];
    /// <summary>How the clocks were bridged.</summary>
    public IReadOnlyList<string> ClockNotes { get; init; } = [];

    public static UpdateReport From(UpdateTimeline timeline)
    {
        ClockMapping mapping = ClockMapping.Resolve(timeline);
        var anomalies = new List<string>();
        var events = timeline.Events
            .Select(e => new ReportEvent(e.Name, e.Phase, e.Kernel, e.Client, e.Source, mapping.OffsetOf(e), mapping.IsApproximate(e.Kernel), e.Detail))
            .ToList();

        CheckOrder(events, anomalies);
        foreach (var e in events.Where(e => e.OffsetNs is null))
            anomalies.Add($"'{Describe(e)}' cannot be placed on the timeline (no clock reading links its kernel to the previous kernel's samples).");

        // The next kernel's time 0 is known from the mapping even when its log was not merged.
        long? nextBoot = mapping.NextBootOffsetNs;
        var phases = ComputePhases(events, nextBoot, mapping, anomalies);
        var clients = ComputeClients(events, anomalies);

        var paused = clients.Where(c => c.PausedNs is not null).ToList();
        var resumed = clients.Where(c => c.ResumedNs is not null).ToList();
        long? blackoutStart = paused.Count > 0 ? paused.Min(c => c.PausedNs) : null;
        long? blackoutEnd = resumed.Count > 0 ? resumed.Max(c => c.ResumedNs) : null;
        long? total = blackoutStart is { } bs && blackoutEnd is { } be ? be - bs : null;
        bool totalApproximate = total is not null && clients.Any(c => c.Approximate);

        var placed = events.Where(e => e.OffsetNs is not null).Select(e => e.OffsetNs!.Value).ToList();
        long end = Math.Max(placed.Count > 0 ? placed.Max() : 0, nextBoot ?? 0);

        return new UpdateReport
        {
            UpdateId = timeline.UpdateId,
            PreviousRelease = timeline.PreviousRelease ?? timeline.PreviousKernel?.Release,
            NextRelease = timeline.NextRelease ?? timeline.NextKernel?.Release,
            KexecCount = timeline.KexecCount,
            ClockBasis = mapping.Basis,
            UncertaintyNs = mapping.Basis == ClockBasis.RealtimeApproximate && nextBoot is not null ? ClockMapping.RealtimeUncertaintyNs : 0,
            OriginRealtimeNs = mapping.OriginRealtimeNs,
            TscHz = mapping.TscFrequency?.Hz,
            Events = events,
            Phases = phases,
            Clients = clients,
            TotalBlackoutNs = total,
            TotalBlackoutStartNs = blackoutStart,
            TotalBlackoutApproximate = totalApproximate,
            Handover = ComputeHandover(events, nextBoot, mapping),
            EndNs = end,
            Anomalies = anomalies,
            ClockNotes = mapping.Notes,
        };
    }

    private static string Describe(ReportEvent e) => e.Client is null ? e.Name : $"{e.Name} ({e.Client})";

    /// <summary>
    /// Daemon events must be recorded in time order and never go back to an earlier phase; each kernel's
    /// log lines must be in time order. Violations are listed, never repaired.
    /// </summary>
    private static void CheckOrder(List<ReportEvent> events, List<string> anomalies)
    {
        foreach (var group in events.Where(e => e.OffsetNs is not null).GroupBy(e => e.Source == EventSource.Daemon ? "daemon" : $"{e.Source}/{e.Kernel}"))
        {
            ReportEvent? previous = null;
            foreach (var e in group)
            {
                if (previous is not null)
                {
                    if (e.OffsetNs < previous.OffsetNs)
                        anomalies.Add($"Out of order: '{Describe(e)}' was recorded after '{Describe(previous)}' but is {Durations.Format(previous.OffsetNs!.Value - e.OffsetNs!.Value)} earlier.");
                    if (e.Source == EventSource.Daemon && e.Phase < previous.Phase)
                        anomalies.Add($"Phase went backwards: '{Describe(e)}' ({e.Phase}) was recorded after '{Describe(previous)}' ({previous.Phase}).");
                }
                previous = e;
            }
        }
    }

    private static List<PhaseSpan> ComputePhases(List<ReportEvent> events, long? nextBoot, ClockMapping mapping, List<string> anomalies)
    {
        // Start of a phase: its first recorded event (the next kernel's time 0 for KernelBoot when no log was merged).
        var starts = new List<(UpdatePhase Phase, long Start, long Last)>();
        foreach (UpdatePhase phase in Enum.GetValues<UpdatePhase>())
        {
            var members = events.Where(e => e.Phase == phase && e.OffsetNs is not null).ToList();
            long? start = members.Count > 0 ? members[0].OffsetNs : null;
            if (phase == UpdatePhase.KernelBoot && nextBoot is { } boot && (start is null || members[0].Name != TimelineEvents.KernelBoot))
                start = boot;
            if (start is null) continue;
            long last = members.Count > 0 ? members.Max(e => e.OffsetNs!.Value) : start.Value;
            starts.Add((phase, start.Value, Math.Max(last, start.Value)));
        }
        var spans = new List<PhaseSpan>();
        for (int i = 0; i < starts.Count; i++)
        {
            var (phase, start, last) = starts[i];
            bool hasNext = i + 1 < starts.Count;
            long end = hasNext ? starts[i + 1].Start : last;
            bool startApproximate = mapping.IsApproximate(TimelineEvents.SideOf(phase));
            bool endApproximate = hasNext ? mapping.IsApproximate(TimelineEvents.SideOf(starts[i + 1].Phase)) : startApproximate;
            if (end < start)
                anomalies.Add($"Phase {phase} starts at {Durations.Format(start)} but the next phase, {starts[i + 1].Phase}, starts earlier ({Durations.Format(end)}).");
            spans.Add(new PhaseSpan(phase, start, end - start, startApproximate, startApproximate != endApproximate));
        }
        return spans;
    }

    private static List<ClientBlackout> ComputeClients(List<ReportEvent> events, List<string> anomalies)
    {
        var names = events.Where(e => e.Client is not null && e.Name is TimelineEvents.ClientPaused or TimelineEvents.ClientClaimed or TimelineEvents.ClientResumed)
            .Select(e => e.Client!).Distinct(StringComparer.Ordinal).ToList();
        var result = new List<ClientBlackout>();
        foreach (string client in names)
        {
            ReportEvent? First(string name) => events.FirstOrDefault(e => e.Name == name && e.Client == client);
            var paused = First(TimelineEvents.ClientPaused);
            var claimed = First(TimelineEvents.ClientClaimed);
            var resumed = First(TimelineEvents.ClientResumed);
            long? blackout = paused?.OffsetNs is { } p && resumed?.OffsetNs is { } r ? r - p : null;
            if (paused is null) anomalies.Add($"Client '{client}' resumed without a recorded pause.");
            if (paused is not null && resumed is null) anomalies.Add($"Client '{client}' paused but never acknowledged resumed.");
            if (blackout < 0) anomalies.Add($"Client '{client}' resumed {Durations.Format(-blackout.Value)} before it paused.");
            if (claimed?.OffsetNs is { } c && resumed?.OffsetNs is { } r2 && r2 < c)
                anomalies.Add($"Client '{client}' acknowledged resumed before it claimed its sessions.");
            bool approximate = (paused?.Approximate ?? false) != (resumed?.Approximate ?? false);
            result.Add(new ClientBlackout(client, paused?.OffsetNs, claimed?.OffsetNs, resumed?.OffsetNs, blackout, approximate));
        }
        return result;
    }

    private static KernelHandover? ComputeHandover(List<ReportEvent> events, long? nextBoot, ClockMapping mapping)
    {
        long? At(string name) => events.FirstOrDefault(e => e.Name == name && e.OffsetNs is not null)?.OffsetNs;
        if (At(TimelineEvents.Reboot) is not { } reboot) return null;
        long? shutdown = At(TimelineEvents.KernelShutdown);
        long? boot = At(TimelineEvents.KernelBoot) ?? nextBoot;
        long? init = At(TimelineEvents.KernelInit);
        long? daemon = At(TimelineEvents.DaemonStart);
        static long? Between(long? a, long? b) => a is { } x && b is { } y ? y - x : null;
        return new KernelHandover(reboot, shutdown, boot, init, daemon,
            Between(reboot, shutdown), Between(shutdown ?? reboot, boot), Between(boot, init), Between(init, daemon),
            Between(reboot, daemon), mapping.Basis == ClockBasis.RealtimeApproximate && boot is not null)
        {
            Systemd = [.. events.Where(e => SystemdShutdown.Names.Contains(e.Name) && e.OffsetNs is not null).Select(e => new HandoverMoment(e.Name, e.OffsetNs!.Value))],
            PreviousKernelLines = [.. events.Where(e => e.Name == TimelineEvents.KernelShutdownLine && e.OffsetNs is not null).Select(e => new HandoverMoment(e.Detail ?? "", e.OffsetNs!.Value))],
        };
    }
}
