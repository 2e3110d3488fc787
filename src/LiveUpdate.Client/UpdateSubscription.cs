// UpdateSubscription: a participant's live link to luod's update flow. It holds two
// connections of its own — one streaming events (Subscribe, a call with "more"), one for
// the acknowledgements, because a Varlink connection answers one call at a time — and runs
// the participant's hooks as events arrive: prepare and freeze are acknowledged with ok or
// the hook's exception message (a refusal), within the deadline luod gave, and with the
// participant's PausedAt when it says it stopped serving at another moment. Dispose to leave.
// If luod goes away between prepare and freeze (it crashed or was killed: the update cannot
// go on, nobody will send resume), the participant is resumed here, so its pause ends now and
// not never. After freeze it stays frozen: the kexec may already be under way (systemd stops
// luod while it performs the reboot), and a workload that changed its preserved memory then
// would hand the next kernel torn state.
using LiveUpdate.Client.Errors;
using LiveUpdate.Protocol;
using LiveUpdate.Varlink;

namespace LiveUpdate.Client;

public sealed class UpdateSubscription : IAsyncDisposable
{
    private readonly VarlinkClient _events;
    private readonly VarlinkClient _acks;
    private readonly IUpdateParticipant _participant;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _loop = Task.CompletedTask;
    private string? _updateId;
    private DateTimeOffset _preparedAt;
    private long? _sentPausedAtNs;
    private UpdatePhaseSeen _phase;

    private enum UpdatePhaseSeen { None, Prepare, Freeze }

    private UpdateSubscription(string name, VarlinkClient events, VarlinkClient acks, IUpdateParticipant participant)
    {
        Name = name;
        _events = events;
        _acks = acks;
        _participant = participant;
    }

    public string Name { get; }

    private static LiveUpdateProtocolJson Json => LiveUpdateProtocolJson.Default;

    /// <summary>Completes when the subscription ends: disposed, or luod closed the connection (then it holds the error).</summary>
    public Task Completion => _loop;

    internal static async Task<UpdateSubscription> StartAsync(string socketPath, string name, IUpdateParticipant participant, CancellationToken cancellationToken)
    {
        var events = await VarlinkClient.ConnectAsync(socketPath, cancellationToken: cancellationToken).ConfigureAwait(false);
        VarlinkClient? acks = null;
        try
        {
            acks = await VarlinkClient.ConnectAsync(socketPath, cancellationToken: cancellationToken).ConfigureAwait(false);
            var subscription = new UpdateSubscription(name, events, acks, participant);
            subscription._loop = subscription.RunAsync();
            await Task.WhenAny(subscription._subscribed.Task, subscription._loop).ConfigureAwait(false);
            if (!subscription._subscribed.Task.IsCompleted)
            {
                await subscription._loop.ConfigureAwait(false); // throws why it ended
                throw new LuodProtocolException("luod ended the Subscribe call before confirming the subscription.");
            }
            return subscription;
        }
        catch
        {
            await events.DisposeAsync().ConfigureAwait(false);
            if (acks is not null) await acks.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task RunAsync()
    {
        try
        {
            var subscribe = VarlinkParameters.From(new SubscribeParameters { Participant = Name }, Json.SubscribeParameters);
            await foreach (var result in _events.CallMoreAsync(LiveUpdateProtocol.Methods.Subscribe, subscribe, null, _stop.Token).ConfigureAwait(false))
            {
                using (result)
                {
                    if (!VarlinkParameters.TryRead(result.Parameters, Json.SubscribeReply, out var reply, out string? bad))
                        throw new LuodProtocolException($"luod sent an update event whose '{bad}' is missing or not what io.liveupdate declares.");
                    var update = reply.Event;
                    if (update.Event == UpdateEventKind.Subscribed)
                    {
                        _subscribed.TrySetResult();
                        continue;
                    }
                    var notice = new UpdateNotice(
                        update.UpdateId ?? "",
                        update.DeadlineNs is { } ns ? DateTimeOffset.UnixEpoch.AddTicks(ns / 100) : null,
                        update.Reason);
                    switch (update.Event)
                    {
                        case UpdateEventKind.Prepare:
                            (_updateId, _preparedAt, _sentPausedAtNs, _phase) = (notice.UpdateId, DateTimeOffset.UtcNow, null, UpdatePhaseSeen.Prepare);
                            await RunHookAsync(AcknowledgePhase.Prepare, notice, _participant.PrepareAsync).ConfigureAwait(false); break;
                        case UpdateEventKind.Freeze:
                            _phase = UpdatePhaseSeen.Freeze;
                            await RunHookAsync(AcknowledgePhase.Freeze, notice, _participant.FreezeAsync).ConfigureAwait(false); break;
                        case UpdateEventKind.Resume:
                            _phase = UpdatePhaseSeen.None;
                            await _participant.ResumeAsync(notice, _stop.Token).ConfigureAwait(false); break;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
        catch (VarlinkErrorException error)
        {
            await ResumeIfLuodLeftDuringPrepareAsync().ConfigureAwait(false);
            throw LiveUpdateClientException.FromReply(error);
        }
        catch (Exception error) when (error is VarlinkException or IOException or ObjectDisposedException && !_stop.IsCancellationRequested)
        {
            await ResumeIfLuodLeftDuringPrepareAsync().ConfigureAwait(false);
            throw;
        }
        if (!_stop.IsCancellationRequested) await ResumeIfLuodLeftDuringPrepareAsync().ConfigureAwait(false);
    }

    /// <summary>luod ended the subscription after prepare and before freeze: no resume will come, so resume now.</summary>
    private async Task ResumeIfLuodLeftDuringPrepareAsync()
    {
        if (_phase != UpdatePhaseSeen.Prepare) return;
        _phase = UpdatePhaseSeen.None;
        var notice = new UpdateNotice(_updateId ?? "", null,
            "luod's connection closed during prepare (luod stopped or crashed), so the update cannot go on; carry on in this kernel");
        await _participant.ResumeAsync(notice, CancellationToken.None).ConfigureAwait(false);
    }

    private async Task RunHookAsync(AcknowledgePhase phase, UpdateNotice notice, Func<UpdateNotice, CancellationToken, Task> hook)
    {
        bool ok = true;
        string? reason = null;
        using var deadline = new CancellationTokenSource(notice.Remaining);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, _stop.Token);
        try
        {
            await hook(notice, linked.Token).ConfigureAwait(false);
        }
        catch (Exception error) when (error is not OperationCanceledException || !_stop.IsCancellationRequested)
        {
            ok = false;
            reason = error is OperationCanceledException ? $"{phase.ToWireName()} did not finish before luod's deadline" : error.Message;
        }
        long? pausedAtNs = ok ? PausedAtToSend(phase, notice.UpdateId) : null;
        var parameters = new AcknowledgeParameters { UpdateId = notice.UpdateId, Participant = Name, Phase = phase, Ok = ok, Reason = reason, PausedAtNs = pausedAtNs };
        try
        {
            try
            {
                await AcknowledgeAsync(parameters).ConfigureAwait(false);
                if (pausedAtNs is not null) _sentPausedAtNs = pausedAtNs;
            }
            catch (VarlinkErrorException error) when (error.ErrorName == LiveUpdateProtocol.Errors.InvalidParameter && pausedAtNs is not null)
            {
                // luod refused the moment (nothing was acknowledged): the pause counts from this acknowledgement instead.
                await AcknowledgeAsync(parameters with { PausedAtNs = null }).ConfigureAwait(false);
            }
        }
        catch (VarlinkErrorException) { /* the update moved on (cancelled or timed out); the resume event follows */ }
    }

    private async Task AcknowledgeAsync(AcknowledgeParameters parameters)
    {
        using var _ = await _acks.CallAsync(LiveUpdateProtocol.Methods.Acknowledge, VarlinkParameters.From(parameters, Json.AcknowledgeParameters), null, _stop.Token)
            .ConfigureAwait(false);
    }

    /// <summary>The participant's PausedAt as pausedAtNs, when it belongs to this update and was not sent already.</summary>
    private long? PausedAtToSend(AcknowledgePhase phase, string updateId)
    {
        if (_participant.PausedAt is not { } pausedAt || updateId != _updateId || pausedAt < _preparedAt) return null;
        long ns = LiveUpdateClient.ToRealtimeNs(pausedAt);
        return phase == AcknowledgePhase.Freeze && ns == _sentPausedAtNs ? null : ns;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _events.DisposeAsync().ConfigureAwait(false);
        await _acks.DisposeAsync().ConfigureAwait(false);
        try { await _loop.ConfigureAwait(false); }
        catch (Exception error) when (error is LiveUpdateClientException or VarlinkException or IOException or ObjectDisposedException or OperationCanceledException) { }
    }
}
