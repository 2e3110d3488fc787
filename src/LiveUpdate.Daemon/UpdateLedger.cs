// UpdateLedger: luod's record of live updates — the update in flight (its timeline, before
// the kexec up to the reboot, after it until every participant resumed) and the last
// completed ones. The update coordinator owns it on both sides of the kexec: it starts the
// timeline, and in the next kernel it takes the ledger from start-up recovery, records the
// claims and resumes of participants, merges the kernel logs and completes the update. It
// crosses the kexec (and a luod restart) in the catalog: the coordinator hands every
// change to SessionRegistry, which persists it (as CatalogTimeline, the handover ABI).
using LiveUpdate.Kernel;
using LiveUpdate.Telemetry;
using Microsoft.Extensions.Logging;

namespace LiveUpdate.Daemon;

/// <summary>What the catalog carries of the ledger.</summary>
public sealed record UpdateHistory(UpdateTimeline? Pending, IReadOnlyList<UpdateTimeline> Completed)
{
    public static readonly UpdateHistory None = new(null, []);
}

public sealed class UpdateLedger(ILogger log)
{
    /// <summary>How many completed updates the catalog keeps.</summary>
    public const int HistoryLength = 10;

    private readonly Lock _gate = new();
    private UpdateTimeline? _pending;
    private List<UpdateTimeline> _completed = [];
    private string? _kernelLogsPendingFor;

    public UpdateHistory Snapshot() { lock (_gate) return new(_pending, [.. _completed]); }

    /// <summary>How a participant appears in timelines: its name, with the uid unless root.</summary>
    public static string ParticipantLabel(uint uid, string name) => uid == 0 ? name : $"{name} (uid {uid})";

    /// <summary>
    /// Start-up: the ledger as recovery found it. Across a kexec the pending update gains the next
    /// kernel's first events (luod started, catalog and sessions restored) and waits for its kernel logs.
    /// </summary>
    public void Adopt(RecoveredUpdates found, string release)
    {
        lock (_gate)
        {
            _completed = [.. found.Completed];
            _pending = found.Pending;
            if (found.Handover is not { } moments || _pending is null) return;
            _pending = (_pending with { NextRelease = release })
                .Record(TimelineEvents.Daemon(TimelineEvents.DaemonStart, sample: moments.DaemonStart))
                .Record(TimelineEvents.Daemon(TimelineEvents.CatalogRestored, sample: moments.CatalogRestored))
                .Record(TimelineEvents.Daemon(TimelineEvents.SessionsRestored, sample: moments.SessionsRestored, detail: $"{moments.Sessions} session(s)"));
            _kernelLogsPendingFor = _pending.UpdateId;
            CompleteIfDone(null);
        }
    }

    /// <summary>Before the kexec: the update being recorded (null when it was cancelled).</summary>
    public void SetPending(UpdateTimeline? timeline)
    {
        lock (_gate) _pending = timeline;
    }

    /// <summary>
    /// After the kexec: participant <paramref name="name"/> serves again — now, or since <paramref name="resumedAtNs"/>
    /// (CLOCK_REALTIME; refused with InvalidParameter when negative, in the future beyond
    /// <see cref="ReportedMomentCheck.FutureTolerance"/> or before luod's first sample in this kernel).
    /// Its first resume counts. Completes the update when it was the last.
    /// </summary>
    public void RecordResumed(uint uid, string name, long? resumedAtNs = null)
    {
        lock (_gate)
        {
            if (_pending is not { } update || update.Events.FirstOrDefault(e => e.Kernel == KernelSide.Next && e.Sample is not null)?.Sample is not { } started)
                throw LuodErrors.NoUpdateInProgress("no live update is waiting for participants to resume in this kernel");
            string client = ParticipantLabel(uid, name);
            if (!update.Events.Any(e => e.Name == TimelineEvents.ClientPaused && e.Client == client))
                throw LuodErrors.NoUpdateInProgress($"participant '{name}' of uid {uid} did not pause for update {update.UpdateId}");
            var now = ClockSample.Capture();
            if (resumedAtNs is { } at)
                ReportedMomentCheck.Check("resumedAtNs", at, now.RealtimeNs, started.RealtimeNs, "luod started in this kernel");
            if (!update.Events.Any(e => e.Name == TimelineEvents.ClientResumed && e.Client == client))
            {
                if (resumedAtNs is { } resumedAt)
                {
                    var sample = ReportedMoment.Sample(now, resumedAt, ClockMapping.ChooseFrequency(update.PreviousKernel, update.NextKernel));
                    string detail = $"reported by the participant: {Durations.Format(now.RealtimeNs - sample.RealtimeNs)} before its resumed call";
                    _pending = ReportedMoment.Record(update, TimelineEvents.ClientResumed, client, sample, detail);
                }
                else
                    _pending = update.Record(TimelineEvents.Daemon(TimelineEvents.ClientResumed, client, now));
            }
            CompleteIfDone(null);
        }
    }

    /// <summary>
    /// A claim in the update's timeline: when a participant that paused claims a session of its
    /// own name (the convention the SDK's samples follow), its resume phase starts there.
    /// </summary>
    public void RecordClaim(uint uid, string sessionName)
    {
        lock (_gate)
        {
            if (_pending is not { } update || !update.Events.Any(e => e.Kernel == KernelSide.Next)) return;
            string client = ParticipantLabel(uid, sessionName);
            if (update.Events.Any(e => e.Name == TimelineEvents.ClientPaused && e.Client == client)
                && !update.Events.Any(e => e.Name == TimelineEvents.ClientClaimed && e.Client == client))
                _pending = update.Record(TimelineEvents.Daemon(TimelineEvents.ClientClaimed, client));
        }
    }

    /// <summary>After the kexec: gives up on participants that did not resume within <paramref name="grace"/> of luod's start. True when it did.</summary>
    public bool AbandonIfPastGrace(long nowNs, TimeSpan grace)
    {
        lock (_gate)
        {
            if (_pending is not { } update || update.Events.FirstOrDefault(e => e.Name == TimelineEvents.DaemonStart)?.Sample is not { } start
                || nowNs - start.RealtimeNs < (long)grace.TotalNanoseconds)
                return false;
            var resumed = update.Events.Where(e => e.Name == TimelineEvents.ClientResumed).Select(e => e.Client).ToHashSet();
            var missing = update.Events.Where(e => e.Name == TimelineEvents.ClientPaused && !resumed.Contains(e.Client)).Select(e => e.Client);
            CompleteIfDone($"gave up after {grace}: {string.Join(", ", missing)} never resumed");
            return true;
        }
    }

    /// <summary>
    /// The next kernel's side of an update, once luod serves: its clock facts, the kernel log's
    /// boot steps (/dev/kmsg) and the previous kernel's last words (pstore), merged into the
    /// update's timeline. Kept off the restore path — reading and parsing the logs takes
    /// seconds under emulation, and every participant's blackout would include them.
    /// False when there was nothing to merge.
    /// </summary>
    public bool MergeKernelLogs(string release, Systemd.SystemdDescription? systemd = null)
    {
        string? updateId;
        lock (_gate) updateId = _kernelLogsPendingFor;
        if (updateId is null) return false;
        var clockInfo = KernelClockInfo.From(release, TimestampCounter.Describe());
        IReadOnlyList<KernelLogLine> nextKernel = [];
        try { nextKernel = KernelLogParser.FromRecords(KernelLog.ReadAll()); }
        catch (Kernel.Errors.LiveUpdateException error)
        {
            log.LogWarning("luod: the kernel log cannot be read ({Message}); the update's timeline lacks the kernel's boot steps", error.Message);
        }
        var previousKernel = KernelLogParser.ReadPstore();
        var shutdown = systemd is null ? [] : SystemdShutdownMoments(systemd);
        UpdateTimeline Merge(UpdateTimeline update)
        {
            update = KernelLogMerge.WithNextKernelLog(update with { NextKernel = clockInfo }, nextKernel);
            if (shutdown.Count > 0) update = SystemdShutdown.With(update, shutdown, $"systemd {systemd!.Version}" + (systemd.KexecsCount is { } n ? $", kexec {n} since the cold boot" : ""));
            return previousKernel is null ? update : KernelLogMerge.WithPreviousKernelLog(update, previousKernel);
        }
        lock (_gate)
        {
            if (_pending?.UpdateId == updateId) _pending = Merge(_pending);
            else if (_completed.FindIndex(u => u.UpdateId == updateId) is var index and >= 0) _completed[index] = Merge(_completed[index]);
            _kernelLogsPendingFor = null;
        }
        return true;
    }

    /// <summary>systemd's PreviousShutdown*Timestamp values (µs of CLOCK_REALTIME) as timeline moments, those it has.</summary>
    private static List<(string Name, long RealtimeNs)> SystemdShutdownMoments(Systemd.SystemdDescription systemd)
    {
        var moments = new List<(string, long)>();
        void Add(string name, ulong? usec)
        {
            if (usec is { } us and > 0) moments.Add((name, checked((long)us * 1000)));
        }
        Add(SystemdShutdown.Start, systemd.PreviousShutdownStartUsec);
        Add(SystemdShutdown.Finish, systemd.PreviousShutdownFinishUsec);
        Add(SystemdShutdown.LateStart, systemd.PreviousShutdownLateStartUsec);
        Add(SystemdShutdown.LateFinish, systemd.PreviousShutdownLateFinishUsec);
        return moments;
    }

    private void CompleteIfDone(string? givingUp)
    {
        if (_pending is not { } update) return;
        var paused = update.Events.Where(e => e.Name == TimelineEvents.ClientPaused).Select(e => e.Client).ToHashSet();
        var resumed = update.Events.Where(e => e.Name == TimelineEvents.ClientResumed).Select(e => e.Client).ToHashSet();
        if (givingUp is null && !paused.IsSubsetOf(resumed)) return;
        string detail = givingUp ?? $"{resumed.Count} participant(s) resumed";
        _completed.Add(update.Record(TimelineEvents.Daemon(TimelineEvents.Finish, detail: detail)));
        if (_completed.Count > HistoryLength) _completed.RemoveRange(0, _completed.Count - HistoryLength);
        _pending = null;
        log.LogInformation("luod: update {UpdateId} complete: {Detail}", update.UpdateId, detail);
    }
}
