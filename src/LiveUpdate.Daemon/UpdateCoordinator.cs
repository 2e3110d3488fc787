// UpdateCoordinator: the orchestrated live update. In order: check the next kernel
// (NO-GO stops before anything happens) → stage it (kexec_file_load, before anyone
// pauses) → prepare (every subscribed participant quiesces and acknowledges within the
// deadline) → freeze (last acknowledgement; the catalog is written with the timeline) →
// reboot(KEXEC). Any failure before the reboot — NO-GO, a load failure, a refusal, a
// timeout, a participant that went away, `luoctl cancel` before freeze — cancels: every
// participant told to prepare is told to resume, the staged kernel is unloaded, and the
// caller hears why. Every step is timestamped (UpdateTimeline) and the timeline travels to
// the next kernel in the catalog, where participants' Resumed calls complete it. The
// coordinator owns the update ledger (UpdateLedger) on both sides of the kexec: in the next
// kernel it adopts what start-up recovery found, and it hands every change of the ledger to
// the registry, which persists it. Calls run one way: interface → coordinator → registry.
// RunForSystemKexecAsync is the same update for a `systemctl kexec` someone else started
// (heard through logind's delay lock, Systemd/ShutdownInhibitor.cs): no check, no stage, no
// reboot — participants prepare and freeze, the catalog is written, systemd kexecs.
using System.Runtime.InteropServices;
using LiveUpdate.Kernel;
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Preflight;
using LiveUpdate.Telemetry;
using Microsoft.Extensions.Logging;
using Wire = LiveUpdate.Protocol;

namespace LiveUpdate.Daemon;

public sealed class UpdateCoordinator
{
    /// <summary>How many completed updates the catalog keeps.</summary>
    public const int HistoryLength = UpdateLedger.HistoryLength;

    private readonly SessionRegistry registry;
    private readonly IKexecPerformer kexec;
    private readonly IUpdatePreflight preflight;
    private readonly ILogger log;
    private readonly string release;
    private readonly UpdateLedger _ledger;
    private readonly Lock _gate = new();
    private readonly Lock _publishing = new();
    private readonly List<UpdateParticipant> _participants = [];
    private UpdateStage _stage = UpdateStage.Idle;
    private string? _updateId;
    private TaskCompletionSource<string>? _cancelled;
    private long _askedToPrepareNs;
    private (string UpdateId, UpdateParticipant[] Told)? _heldForSystemKexec;
    private readonly StagedKernelMark _stagedMark;
    private PreflightOutcome? _lastPreflight;

    /// <summary>Takes over the update ledger start-up recovery found in <paramref name="registry"/> (which must have started).</summary>
    public UpdateCoordinator(SessionRegistry registry, IKexecPerformer kexec, IUpdatePreflight preflight, ILogger log, string release)
    {
        (this.registry, this.kexec, this.preflight, this.log, this.release) = (registry, kexec, preflight, log, release);
        _ledger = new UpdateLedger(log);
        var found = registry.RecoveredUpdates;
        _ledger.Adopt(found, release);
        if (found.Handover is not null && found.Pending is not null) Publish(persist: true);
        _stagedMark = new StagedKernelMark(registry.StagedKernelMarkPath);
        (InterruptedUpdate, InterruptedUpdateReason) = _stagedMark.UnloadInterrupted(kexec, log) is { } ended ? ended : default;
        // Killed after the catalog announced the update (after freeze, before the reboot): the
        // restart within the boot reads it back as pending, but it never happened — a later
        // plain kexec must not carry it to the next kernel as if it had (fault-luod-held).
        if (InterruptedUpdate is not null && found.Handover is null && _ledger.Snapshot().Pending?.UpdateId == InterruptedUpdate)
        {
            _ledger.SetPending(null);
            Publish(persist: true);
            log.LogWarning("luod: update {UpdateId} never reached the reboot; the catalog no longer announces it", InterruptedUpdate);
        }
    }

    /// <summary>
    /// The update of this boot, before this luod started, that ended without a kexec: an earlier luod staged
    /// its kernel and stopped in the middle of it (the kernel was unloaded at start), or cancelled it. Null if none.
    /// Told to every participant that subscribes, so one still frozen for it resumes.
    /// </summary>
    public string? InterruptedUpdate { get; }

    /// <summary>Why <see cref="InterruptedUpdate"/> will not happen, in words for the participant's log.</summary>
    public string? InterruptedUpdateReason { get; }

    public UpdateStage Stage { get { lock (_gate) return _stage; } }

    /// <summary>The verdict of the last update's check in this luod's life, and whether its kernel is staged now (null before the first check).</summary>
    public PreflightOutcome? LastPreflight { get { lock (_gate) return _lastPreflight; } }

    /// <summary>True while some participant is subscribed to update events.</summary>
    public bool HasParticipants { get { lock (_gate) return _participants.Any(p => !p.Gone); } }

    /// <summary>The update in flight (before the kexec: being recorded; after: waiting for participants to resume).</summary>
    public UpdateTimeline? PendingUpdate => _ledger.Snapshot().Pending;

    /// <summary>The last completed updates, oldest first.</summary>
    public IReadOnlyList<UpdateTimeline> CompletedUpdates => _ledger.Snapshot().Completed;

    public UpdateParticipant Subscribe(PeerCredentials peer, string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 128 || name.Any(char.IsControl))
            throw LuodErrors.InvalidName(name, "a participant name must be 1-128 printable characters");
        lock (_gate)
        {
            var existing = _participants.FirstOrDefault(p => p.Owner == peer.UserId && p.Name == name);
            if (existing is not null)
            {
                if (_stage is UpdateStage.Preparing or UpdateStage.Freezing)
                    throw LuodErrors.UpdateInProgress(_updateId!, _stage.ToString().ToLowerInvariant());
                existing.MarkGone(); // a reconnecting participant replaces its old subscription
                _participants.Remove(existing);
            }
            var participant = new UpdateParticipant(peer.UserId, name);
            _participants.Add(participant);
            log.LogInformation("luod: participant {Participant} subscribed to update events", participant);
            return participant;
        }
    }

    public void Unsubscribe(UpdateParticipant participant)
    {
        participant.MarkGone();
        lock (_gate) _participants.Remove(participant);
    }

    /// <summary>
    /// A participant's answer to prepare or freeze. <paramref name="pausedAtNs"/> (CLOCK_REALTIME, with ok):
    /// when it really stopped serving; refused (InvalidParameter, nothing acknowledged) when negative, in the
    /// future beyond <see cref="ReportedMomentCheck.FutureTolerance"/> or before luod asked participants to prepare.
    /// </summary>
    public void Acknowledge(PeerCredentials peer, string updateId, string name, string phase, bool ok, string? reason, long? pausedAtNs = null)
    {
        UpdateParticipant? participant;
        long askedToPrepareNs;
        lock (_gate)
        {
            if (_updateId != updateId || _stage is not (UpdateStage.Preparing or UpdateStage.Freezing))
                throw LuodErrors.NoUpdateInProgress($"update '{updateId}' is not waiting for acknowledgements (luod's update: {_updateId ?? "none"}, {_stage.ToString().ToLowerInvariant()})");
            participant = _participants.FirstOrDefault(p => p.Owner == peer.UserId && p.Name == name);
            askedToPrepareNs = _askedToPrepareNs;
        }
        string notAsked = $"participant '{name}' of uid {peer.UserId} is not asked to acknowledge {phase} now";
        if (participant is null || !participant.Awaits(phase)) throw LuodErrors.NoUpdateInProgress(notAsked);
        if (ok && pausedAtNs is { } pausedAt)
            ReportedMomentCheck.Check("pausedAtNs", pausedAt, SessionRegistry.NowNs(), askedToPrepareNs, $"update '{updateId}' asked its participants to prepare");
        if (!participant.Acknowledge(phase, new ParticipantAnswer(ok, reason, ok ? pausedAtNs : null)))
            throw LuodErrors.NoUpdateInProgress(notAsked);
    }

    /// <summary>Cancels the update in progress; too late once freeze has started.</summary>
    public void Cancel(string reason)
    {
        lock (_gate)
        {
            if (_stage == UpdateStage.Idle) throw LuodErrors.NoUpdateInProgress("no update is in progress");
            if (_stage is UpdateStage.Freezing or UpdateStage.Rebooting)
                throw LuodErrors.NoUpdateInProgress($"update '{_updateId}' is past the point of no return ({_stage.ToString().ToLowerInvariant()}); it can no longer be cancelled");
            _cancelled!.TrySetResult(reason);
        }
    }

    /// <summary>
    /// Runs the update; throws when it was cancelled or failed. On success the machine is in the
    /// next kernel and nothing returns — except with a test double of the kexec, whose
    /// RebootAsync returns: then this returns the update's id.
    /// </summary>
    public Task<string> RunAsync(UpdateRequest request, Func<Wire.UpdateProgress, Task> progress, CancellationToken cancellationToken) =>
        RunStepsAsync(request, null, progress, cancellationToken);

    /// <summary>
    /// `systemctl kexec` started by someone else, heard through logind's delay lock: the same update
    /// without check and stage (the caller loaded the kernel) and without the reboot (systemd performs
    /// it) — participants prepare and freeze, the catalog is written with the pending update, whose
    /// reboot event says systemd performs it. Returns the update's id; throws as <see cref="RunAsync"/>
    /// does (participants resumed). If the shutdown is then cancelled, call <see cref="ResumeAfterCancelledSystemKexec"/>.
    /// </summary>
    public Task<string> RunForSystemKexecAsync(SystemKexecRequest request, CancellationToken cancellationToken) =>
        RunStepsAsync(null, request, static _ => Task.CompletedTask, cancellationToken);

    /// <summary>The shutdown a system kexec prepared for was cancelled: its participants resume, its pending update is dropped.</summary>
    public void ResumeAfterCancelledSystemKexec(string reason)
    {
        (string UpdateId, UpdateParticipant[] Told)? held;
        lock (_gate) (held, _heldForSystemKexec) = (_heldForSystemKexec, null);
        if (held is not { } frozen) return;
        log.LogWarning("luod: update {UpdateId} cancelled: {Reason}", frozen.UpdateId, reason);
        _ledger.SetPending(null);
        Publish(persist: true);
        foreach (var participant in frozen.Told)
            _ = participant.Send(Event("resume", frozen.UpdateId, null, reason), null);
    }

    private async Task<string> RunStepsAsync(UpdateRequest? request, SystemKexecRequest? systemKexec, Func<Wire.UpdateProgress, Task> progress,
        CancellationToken cancellationToken)
    {
        TimeSpan prepareTimeout = request?.PrepareTimeout ?? systemKexec!.PrepareTimeout;
        string updateId = $"u{DateTime.UtcNow:yyyyMMdd'T'HHmmss}-{Environment.ProcessId}";
        var cancelled = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_stage != UpdateStage.Idle) throw LuodErrors.UpdateInProgress(_updateId!, _stage.ToString().ToLowerInvariant());
            (_stage, _updateId, _cancelled) = (UpdateStage.Checking, updateId, cancelled);
        }
        var timeline = new UpdateTimeline
        {
            UpdateId = updateId,
            PreviousRelease = release,
            PreviousKernel = KernelClockInfo.From(release, TimestampCounter.Describe()),
        };
        var told = new List<UpdateParticipant>();
        bool staged = false, catalogWritten = false;
        try
        {
            if (request is not null)
            {
                // 1. Check: nothing is paused or staged yet. A NO-GO ends the update here, before staging:
                // nothing is loaded, nobody hears prepare, no reboot. An image that cannot be read is NO-GO too.
                PreflightReport report;
                try { report = await preflight.CheckAsync(request, registry.HandlerKindsInUse(), cancellationToken); }
                catch (KernelImageException unreadable) { throw LuodErrors.PreflightFailed([UnreadableImageFinding(request.Kexec.Kernel, unreadable)]); }
                var findings = report.Findings.Where(f => f.Severity is FindingSeverity.Warning or FindingSeverity.Error)
                    .Select(f => $"{f.Severity.ToString().ToUpperInvariant()} {f.Code}: {f.What} — {f.Why}{(f.Fix is null ? "" : $" Fix: {f.Fix}")}").ToList();
                lock (_gate) _lastPreflight = new PreflightOutcome(report.Verdict, report.NextRelease, Staged: false);
                await progress(Progress(Wire.UpdateProgressPhase.Check, $"{PreflightReport.VerdictText(report.Verdict)}: {report.NextRelease} from {report.ReferenceRelease ?? report.Reference}", updateId, null, findings));
                if (report.Verdict == PreflightVerdict.NoGo) throw LuodErrors.PreflightFailed(findings);
                timeline = timeline with { NextRelease = report.NextRelease };

                // 2. Stage.
                SetStage(UpdateStage.Staging);
                try { kexec.Load(request.Kexec); }
                catch (LiveUpdateException error) { throw LuodErrors.Kernel(error); }
                staged = true;
                lock (_gate) _lastPreflight = _lastPreflight! with { Staged = true };
                _stagedMark.Record(updateId, request.Kexec.Kernel);
                timeline = timeline.Record(TimelineEvents.Daemon(TimelineEvents.Staged, detail: request.Kexec.Kernel));
                await progress(Progress(Wire.UpdateProgressPhase.Staged, $"{request.Kexec.Kernel} loaded with kexec_file_load", updateId));
            }
            else
            {
                // Steps 1 and 2 were someone else's: `systemctl kexec` loads the kernel (or finds it loaded).
                timeline = timeline.Record(TimelineEvents.Daemon(TimelineEvents.Staged,
                    detail: $"by {systemKexec!.Trigger} (/sys/kernel/kexec_loaded: {(systemKexec.KernelLoaded ? 1 : 0)})"));
            }

            // 3. Prepare.
            UpdateParticipant[] participants;
            lock (_gate)
            {
                _stage = UpdateStage.Preparing;
                participants = [.. _participants.Where(p => !p.Gone)];
            }
            timeline = timeline.Record(TimelineEvents.Daemon(TimelineEvents.Prepare, detail: $"{participants.Length} participant(s)"));
            lock (_gate) _askedToPrepareNs = timeline.Events[^1].Sample!.Value.RealtimeNs; // no participant pauses for this update before
            await progress(Progress(Wire.UpdateProgressPhase.Prepare, $"asking {participants.Length} participant(s) to prepare within {prepareTimeout.TotalSeconds:F0} s", updateId));
            told.AddRange(participants);
            timeline = await AwaitAllAsync("prepare", participants, prepareTimeout, updateId, cancelled.Task, timeline,
                TimelineEvents.ClientPaused, progress, Wire.UpdateProgressPhase.Paused, cancellationToken);

            // 4. Freeze: from here on the update can no longer be cancelled by an operator.
            lock (_gate) _stage = UpdateStage.Freezing;
            timeline = timeline.Record(TimelineEvents.Daemon(TimelineEvents.Freeze));
            await progress(Progress(Wire.UpdateProgressPhase.Freeze, "every participant paused; freezing", updateId));
            timeline = await AwaitAllAsync("freeze", participants, prepareTimeout, updateId, null, timeline,
                null, progress, null, cancellationToken);
            _ledger.SetPending(timeline);
            Publish(persist: true);
            catalogWritten = true;
            timeline = timeline.Record(TimelineEvents.Daemon(TimelineEvents.CatalogWritten));

            // 5. Reboot. The catalog's last write carries the reboot sample.
            lock (_gate) _stage = UpdateStage.Rebooting;
            await progress(Progress(Wire.UpdateProgressPhase.Rebooting, $"rebooting into {timeline.NextRelease}", updateId));
            timeline = timeline.Record(TimelineEvents.Daemon(TimelineEvents.Reboot, detail: systemKexec is null ? null : $"by systemd ({systemKexec.Trigger})"));
            _ledger.SetPending(timeline);
            Publish(persist: true);
            if (systemKexec is not null)
            {
                // systemd performs the kexec; until then the participants stay frozen.
                lock (_gate) _heldForSystemKexec = (updateId, [.. told]);
                log.LogInformation("luod: update {UpdateId}: participants frozen and the catalog written; systemd performs the kexec ({Trigger})", updateId, systemKexec.Trigger);
                return updateId;
            }
            log.LogInformation("luod: update {UpdateId}: rebooting into {Release}", updateId, timeline.NextRelease);
            registry.TestHold.At(LuodTestHold.BeforeReboot, log, () => registry.FileDescriptorStore.FlushAsync().GetAwaiter().GetResult());
            await kexec.RebootAsync();
            return updateId;
        }
        catch (Exception error)
        {
            string reason = error is Varlink.VarlinkErrorException varlink ? Describe(varlink) : error.Message;
            log.LogWarning("luod: update {UpdateId} cancelled: {Reason}", updateId, reason);
            _ledger.SetPending(null);
            // Once written (a failure at the reboot itself), the catalog must no longer announce the update.
            Publish(persist: catalogWritten);
            foreach (var participant in told)
                _ = participant.Send(Event("resume", updateId, null, reason), null);
            if (staged)
            {
                try { kexec.Unload(); _stagedMark.MarkUnloaded(); lock (_gate) _lastPreflight = _lastPreflight! with { Staged = false }; }
                catch (LiveUpdateException unload) { log.LogError("luod: unloading the staged kernel failed: {Message}", unload.Message); }
            }
            if (error is Varlink.VarlinkErrorException { ErrorName: Wire.LiveUpdateProtocol.Errors.PreflightFailed or Wire.LiveUpdateProtocol.Errors.UpdateCancelled }) throw;
            throw LuodErrors.UpdateCancelled(updateId, reason);
        }
        finally
        {
            lock (_gate)
            {
                (_stage, _updateId, _cancelled) = (UpdateStage.Idle, null, null);
            }
        }
    }

    /// <summary>The PreflightFailed finding for a next kernel whose image cannot be read (the format of the check's own findings).</summary>
    private static string UnreadableImageFinding(string kernel, KernelImageException error) =>
        $"ERROR image-unreadable: {kernel} cannot be read as a kernel image: {error.Message} — luod cannot check it, so it does not stage it. " +
        "Fix: give the bzImage (vmlinuz) of the next kernel; `luoctl check` reads it the same way";

    private async Task<UpdateTimeline> AwaitAllAsync(string phase, UpdateParticipant[] participants, TimeSpan timeout, string updateId,
        Task<string>? cancelled, UpdateTimeline timeline, string? eventName, Func<Wire.UpdateProgress, Task> progress, Wire.UpdateProgressPhase? progressPhase,
        CancellationToken cancellationToken)
    {
        long deadlineNs = SessionRegistry.NowNs() + (long)timeout.TotalNanoseconds;
        var pending = participants.ToDictionary(p => p.Send(Event(phase, updateId, deadlineNs, null), phase)!, p => p);
        using var timer = new CancellationTokenSource(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, cancellationToken);
        var expired = Task.Delay(Timeout.Infinite, linked.Token);
        while (pending.Count > 0)
        {
            var finished = await Task.WhenAny([.. pending.Keys, expired, cancelled ?? Task.Delay(Timeout.Infinite, linked.Token)]);
            if (finished == expired)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw new TimeoutException($"{string.Join(", ", pending.Values)} did not acknowledge {phase} within {timeout.TotalSeconds:F0} s");
            }
            if (finished == cancelled) throw new OperationCanceledException($"cancelled by the operator: {cancelled.Result}");
            var answered = (Task<ParticipantAnswer>)finished;
            var participant = pending[answered];
            pending.Remove(answered);
            var answer = answered.Result;
            if (!answer.Ok) throw new InvalidOperationException($"participant {participant} refused {phase}: {answer.Reason ?? "no reason given"}");
            string client = UpdateLedger.ParticipantLabel(participant.Owner, participant.Name);
            if (answer.PausedAtNs is { } pausedAt)
                timeline = WithReportedPause(timeline, client, pausedAt, phase);
            else if (eventName is not null)
                timeline = timeline.Record(TimelineEvents.Daemon(eventName, client));
            if (progressPhase is { } shown)
                await progress(Progress(shown, $"{participant} {Wire.LiveUpdateProtocolWireNames.ToWireName(shown)}", updateId, participant.Name));
        }
        return timeline;
    }

    /// <summary>
    /// The client's pause at the moment it reported (<paramref name="pausedAtNs"/>, checked by Acknowledge):
    /// luod's sample of now shifted back to it, replacing the pause recorded at its prepare acknowledgement.
    /// </summary>
    private static UpdateTimeline WithReportedPause(UpdateTimeline timeline, string client, long pausedAtNs, string phase)
    {
        var now = ClockSample.Capture();
        var sample = ReportedMoment.Sample(now, pausedAtNs, ClockMapping.ChooseFrequency(timeline.PreviousKernel, timeline.NextKernel));
        string detail = $"reported by the participant: {Durations.Format(now.RealtimeNs - sample.RealtimeNs)} before its {phase} acknowledgement";
        return ReportedMoment.Record(timeline, TimelineEvents.ClientPaused, client, sample, detail);
    }

    /// <summary>
    /// After the kexec: a participant serves again (since <paramref name="resumedAtNs"/>, CLOCK_REALTIME, when
    /// given). Completes the update once all have.
    /// </summary>
    public void Resumed(PeerCredentials peer, string name, long? resumedAtNs = null)
    {
        _ledger.RecordResumed(peer.UserId, name, resumedAtNs);
        Publish(persist: true);
    }

    /// <summary>After the kexec: a claim (through the registry), recorded in the update's timeline when a participant claims its own session.</summary>
    public (CustodySession Session, SafeHandle? SessionFd, IReadOnlyList<SafeHandle> Files) Claim(PeerCredentials peer, string sessionName)
    {
        var claimed = registry.Claim(peer, sessionName);
        _ledger.RecordClaim(peer.UserId, sessionName);
        // Not written on the claim's path (claims happen inside participants' blackouts): a
        // write follows shortly after, so a luod restarted from the fd store knows the session
        // is claimed, not merely restored (fault-luod-killed found the state lost).
        Publish(persist: false);
        PersistSoon();
        return claimed;
    }

    /// <summary>How long after a claim its state is written; the claims of one resume share one write.</summary>
    public static readonly TimeSpan ClaimPersistDelay = TimeSpan.FromMilliseconds(100);

    private int _persistScheduled;

    private void PersistSoon()
    {
        if (Interlocked.Exchange(ref _persistScheduled, 1) == 1) return;
        _ = Task.Run(async () =>
        {
            await Task.Delay(ClaimPersistDelay).ConfigureAwait(false);
            Interlocked.Exchange(ref _persistScheduled, 0);
            try { Publish(persist: true); }
            catch (Exception error) when (error is IOException or ObjectDisposedException or LiveUpdateException)
            {
                log.LogWarning("luod: writing the catalog after a claim failed: {Message}", error.Message);
            }
        });
    }

    /// <summary>Once luod serves after a kexec: the kernel logs join the update's timeline.</summary>
    /// <param name="systemd">systemd's account of the previous boot's shutdown (v262, read over D-Bus), when luod runs under it.</param>
    public void MergeKernelLogs(Systemd.SystemdDescription? systemd = null)
    {
        if (_ledger.MergeKernelLogs(release, systemd)) Publish(persist: true);
    }

    /// <summary>
    /// Housekeeping: restored sessions nobody claimed within the grace become orphans (the
    /// registry applies the policy), and an update whose participants did not all resume
    /// within it is completed as given up.
    /// </summary>
    public IReadOnlyList<CustodySession> ApplyGrace(long nowNs)
    {
        var orphans = registry.ApplyOrphanPolicy(nowNs);
        if (_ledger.AbandonIfPastGrace(nowNs, registry.OrphanGrace)) Publish(persist: true);
        return orphans;
    }

    /// <summary>Hands the ledger to the registry, so the catalog carries it (now, or with the next change).</summary>
    private void Publish(bool persist)
    {
        // One at a time, the snapshot taken inside: the registry never gets an older ledger after a newer one.
        lock (_publishing)
        {
            registry.SetUpdates(_ledger.Snapshot());
            if (persist) registry.Persist();
        }
    }

    private void SetStage(UpdateStage stage)
    {
        lock (_gate)
        {
            if (_cancelled!.Task.IsCompleted) throw new OperationCanceledException($"cancelled by the operator: {_cancelled.Task.Result}");
            _stage = stage;
        }
    }

    private static string Describe(Varlink.VarlinkErrorException error) =>
        error.Parameters?["reason"]?.GetValue<string>() ?? error.Parameters?["message"]?.GetValue<string>() ?? error.ErrorName;

    /// <summary>One progress line streamed to the Update caller.</summary>
    public static Wire.UpdateProgress Progress(Wire.UpdateProgressPhase phase, string message, string updateId,
        string? client = null, IReadOnlyList<string>? findings = null) =>
        new() { Phase = phase, Message = message, UpdateId = updateId, Client = client, Findings = findings };

    private static Wire.UpdateEvent Event(string name, string updateId, long? deadlineNs, string? reason) => new()
    {
        Event = Wire.LiveUpdateProtocolWireNames.TryParse(name, out Wire.UpdateEventKind kind) ? kind
            : throw new InvalidOperationException($"'{name}' is not an io.liveupdate UpdateEvent"),
        UpdateId = updateId,
        DeadlineNs = deadlineNs,
        Reason = reason,
    };
}
