// UpdateSubscription: a participant's live link to luod's update flow. It holds two
// connections of its own — one streaming events (Subscribe, a call with "more"), one for
// the acknowledgements, because a Varlink connection answers one call at a time — and runs
// the participant's hooks as events arrive: prepare and freeze are acknowledged with ok or
// the hook's exception message (a refusal), within the deadline luod gave, and with the
// participant's PausedAt when it says it stopped serving at another moment. Dispose to leave.
// A luod that goes away (stopped, crashed, killed, restarted by systemd) does not end the
// subscription: it connects again, with backoff, and subscribes again, so the next update
// still asks this participant to prepare and freeze. What it does with a pause in flight:
// - luod left between prepare and freeze: the update cannot go on, nobody will send resume,
//   so the participant is resumed here at once;
// - luod left after freeze: it stays frozen — the kexec may already be under way (systemd
//   stops luod while it performs the reboot), and a workload that changed its preserved memory
//   then would hand the next kernel torn state — until a luod of this boot says, in its
//   `subscribed` event, that this very update ended without a kexec (its staged kernel
//   unloaded: StagedKernelMark in luod); then it is resumed. Only that positive answer resumes.
using LiveUpdate.Client.Errors;
using LiveUpdate.Protocol;
using LiveUpdate.Varlink;

namespace LiveUpdate.Client;

public sealed class UpdateSubscription : IAsyncDisposable
{
    /// <summary>The first wait before connecting again after luod went away; it doubles up to <see cref="MaxReconnectDelay"/>.</summary>
    public static readonly TimeSpan FirstReconnectDelay = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest wait between two attempts to reach luod again.</summary>
    public static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(2);

    private readonly string _socketPath;
    private readonly IUpdateParticipant _participant;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _links = new();
    private VarlinkClient _events;
    private VarlinkClient _acks;
    private Task _loop = Task.CompletedTask;
    private string? _updateId;
    private DateTimeOffset _preparedAt;
    private long? _sentPausedAtNs;
    private UpdatePhaseSeen _phase;
    private int _subscriptions;

    private enum UpdatePhaseSeen { None, Prepare, Freeze }

    private UpdateSubscription(string socketPath, string name, VarlinkClient events, VarlinkClient acks, IUpdateParticipant participant)
    {
        _socketPath = socketPath;
        Name = name;
        _events = events;
        _acks = acks;
        _participant = participant;
    }

    public string Name { get; }

    /// <summary>How many times luod confirmed this subscription: 1 at the start, one more after each reconnection.</summary>
    public int Subscriptions => Volatile.Read(ref _subscriptions);

    private static LiveUpdateProtocolJson Json => LiveUpdateProtocolJson.Default;

    /// <summary>
    /// Completes when the subscription ends: disposed, or luod refused it for good (then it holds the
    /// error: a name luod does not accept, a uid it does not allow). A dropped connection does not end it.
    /// </summary>
    public Task Completion => _loop;

    internal static async Task<UpdateSubscription> StartAsync(string socketPath, string name, IUpdateParticipant participant, CancellationToken cancellationToken)
    {
        var (events, acks) = await ConnectPairAsync(socketPath, cancellationToken).ConfigureAwait(false);
        var subscription = new UpdateSubscription(socketPath, name, events, acks, participant);
        subscription._loop = subscription.RunAsync();
        await Task.WhenAny(subscription._subscribed.Task, subscription._loop).ConfigureAwait(false);
        if (!subscription._subscribed.Task.IsCompleted)
        {
            try
            {
                await subscription._loop.ConfigureAwait(false); // throws why it ended
                throw new LuodProtocolException("luod ended the Subscribe call before confirming the subscription.");
            }
            finally { await subscription.DisposeLinksAsync().ConfigureAwait(false); }
        }
        return subscription;
    }

    private static async Task<(VarlinkClient Events, VarlinkClient Acks)> ConnectPairAsync(string socketPath, CancellationToken cancellationToken)
    {
        var events = await VarlinkClient.ConnectAsync(socketPath, cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            return (events, await VarlinkClient.ConnectAsync(socketPath, cancellationToken: cancellationToken).ConfigureAwait(false));
        }
        catch
        {
            await events.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task RunAsync()
    {
        while (true)
        {
            string why;
            try
            {
                if (await StreamEventsAsync().ConfigureAwait(false))
                {
                    // luod ended this subscription on purpose (a newer Subscribe of this participant replaced it): done.
                    await ResumeIfLuodLeftDuringPrepareAsync().ConfigureAwait(false);
                    return;
                }
                why = "luod's Subscribe call ended without its last reply";
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested) { return; }
            catch (VarlinkErrorException error) when (!IsWorthRetrying(error.ErrorName) || !_subscribed.Task.IsCompleted)
            {
                await ResumeIfLuodLeftDuringPrepareAsync().ConfigureAwait(false);
                throw LiveUpdateClientException.FromReply(error);
            }
            catch (Exception error) when (error is VarlinkException or IOException or ObjectDisposedException or LuodProtocolException && !_stop.IsCancellationRequested)
            {
                if (!_subscribed.Task.IsCompleted)
                {
                    await ResumeIfLuodLeftDuringPrepareAsync().ConfigureAwait(false);
                    throw;
                }
                why = error.Message;
            }
            if (_stop.IsCancellationRequested) return;
            await ResumeIfLuodLeftDuringPrepareAsync().ConfigureAwait(false);
            _participant.ConnectionChanged(false, _phase == UpdatePhaseSeen.Freeze
                ? $"luod's connection closed during the freeze of update {_updateId} ({why}); staying frozen until a luod of this boot says that update ended without a kexec; reconnecting"
                : $"luod's connection closed ({why}); reconnecting");
            if (!await ReconnectAsync().ConfigureAwait(false)) return;
        }
    }

    /// <summary>Errors of a Subscribe that a later attempt may not get (luod is mid-update or restarting).</summary>
    private static bool IsWorthRetrying(string errorName) =>
        errorName is LiveUpdateProtocol.Errors.UpdateInProgress or VarlinkServiceErrors.InternalError;

    /// <summary>Connects the two links again, with backoff, until it works or the subscription is disposed.</summary>
    private async Task<bool> ReconnectAsync()
    {
        await DisposeLinksAsync().ConfigureAwait(false);
        var delay = FirstReconnectDelay;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(delay, _stop.Token).ConfigureAwait(false);
                var (events, acks) = await ConnectPairAsync(_socketPath, _stop.Token).ConfigureAwait(false);
                lock (_links) (_events, _acks) = (events, acks);
                return true;
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested) { return false; }
            catch (Exception error) when (error is VarlinkException or IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
            {
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxReconnectDelay.Ticks));
            }
        }
        return false;
    }

    /// <summary>
    /// Streams luod's events into the hooks; true when luod sent the call's last reply (it ended the
    /// subscription). While a prepare or freeze hook runs, the stream is still read: when luod's
    /// connection closes, or luod moves on (a resume: the update was cancelled), the hook's token is
    /// cancelled and nothing is acknowledged — the participant hears why next (ResumeAsync).
    /// </summary>
    private async Task<bool> StreamEventsAsync()
    {
        VarlinkClient events;
        lock (_links) events = _events;
        var subscribe = VarlinkParameters.From(new SubscribeParameters { Participant = Name }, Json.SubscribeParameters);
        await using var stream = events.CallMoreAsync(LiveUpdateProtocol.Methods.Subscribe, subscribe, null, _stop.Token).GetAsyncEnumerator(_stop.Token);
        var next = stream.MoveNextAsync().AsTask();
        try
        {
            return await StreamAsync().ConfigureAwait(false);
        }
        finally
        {
            if (!next.IsCompleted)
            {
                // Leaving with a read in flight (a hook or an acknowledgement failed): end the link so the read ends too.
                await events.DisposeAsync().ConfigureAwait(false);
                try { await next.ConfigureAwait(false); }
                catch (Exception error) when (error is VarlinkException or IOException or ObjectDisposedException or OperationCanceledException) { }
            }
        }

        async Task<bool> StreamAsync()
        {
            while (await next.ConfigureAwait(false))
            {
                UpdateEvent update;
                bool last;
                using (var result = stream.Current)
                {
                    if (!VarlinkParameters.TryRead(result.Parameters, Json.SubscribeReply, out var reply, out string? bad))
                        throw new LuodProtocolException($"luod sent an update event whose '{bad}' is missing or not what io.liveupdate declares.");
                    (update, last) = (reply.Event, !result.Continues);
                }
                if (last) return true;
                next = stream.MoveNextAsync().AsTask();
                if (update.Event == UpdateEventKind.Subscribed)
                {
                    await OnSubscribedAsync(update).ConfigureAwait(false);
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
                        await RunHookWhileListeningAsync(AcknowledgePhase.Prepare, notice, _participant.PrepareAsync, next).ConfigureAwait(false); break;
                    case UpdateEventKind.Freeze:
                        _phase = UpdatePhaseSeen.Freeze;
                        await RunHookWhileListeningAsync(AcknowledgePhase.Freeze, notice, _participant.FreezeAsync, next).ConfigureAwait(false); break;
                    case UpdateEventKind.Resume:
                        _phase = UpdatePhaseSeen.None;
                        await _participant.ResumeAsync(notice, _stop.Token).ConfigureAwait(false); break;
                }
            }
            return false;
        }
    }

    /// <summary>Runs a hook; abandons it (cancels its token, acknowledges nothing) as soon as <paramref name="next"/> completes first.</summary>
    private async Task RunHookWhileListeningAsync(AcknowledgePhase phase, UpdateNotice notice, Func<UpdateNotice, CancellationToken, Task> hook, Task<bool> next)
    {
        using var abandon = new CancellationTokenSource();
        var running = RunHookAsync(phase, notice, hook, abandon.Token);
        if (await Task.WhenAny(running, next).ConfigureAwait(false) == next) await abandon.CancelAsync().ConfigureAwait(false);
        await running.ConfigureAwait(false);
    }

    /// <summary>
    /// luod confirmed the subscription. When it names an update that ended in this boot without a
    /// kexec (updateId set on the subscribed event) and this participant is still frozen for it, resume.
    /// </summary>
    private async Task OnSubscribedAsync(UpdateEvent subscribed)
    {
        int count = Interlocked.Increment(ref _subscriptions);
        if (count > 1) _participant.ConnectionChanged(true, $"subscribed again to luod (subscription {count})");
        _subscribed.TrySetResult();
        if (_phase == UpdatePhaseSeen.None || subscribed.UpdateId is not { Length: > 0 } ended || ended != _updateId) return;
        _phase = UpdatePhaseSeen.None;
        var notice = new UpdateNotice(ended, null, subscribed.Reason ?? $"update {ended} ended in this boot without a kexec");
        await _participant.ResumeAsync(notice, _stop.Token).ConfigureAwait(false);
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

    private async Task RunHookAsync(AcknowledgePhase phase, UpdateNotice notice, Func<UpdateNotice, CancellationToken, Task> hook, CancellationToken abandon)
    {
        bool ok = true;
        string? reason = null;
        using var deadline = new CancellationTokenSource(notice.Remaining);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, _stop.Token, abandon);
        try
        {
            await hook(notice, linked.Token).ConfigureAwait(false);
        }
        catch (Exception error) when (error is not OperationCanceledException || !_stop.IsCancellationRequested)
        {
            ok = false;
            reason = error is OperationCanceledException ? $"{phase.ToWireName()} did not finish before luod's deadline" : error.Message;
        }
        // luod went away or moved on while the hook ran: there is nobody (or nothing) to acknowledge to.
        if (abandon.IsCancellationRequested || _stop.IsCancellationRequested) return;
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
        VarlinkClient acks;
        lock (_links) acks = _acks;
        using var _ = await acks.CallAsync(LiveUpdateProtocol.Methods.Acknowledge, VarlinkParameters.From(parameters, Json.AcknowledgeParameters), null, _stop.Token)
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
        await DisposeLinksAsync().ConfigureAwait(false);
        try { await _loop.ConfigureAwait(false); }
        catch (Exception error) when (error is LiveUpdateClientException or VarlinkException or IOException or ObjectDisposedException or OperationCanceledException) { }
        await DisposeLinksAsync().ConfigureAwait(false); // a reconnection that raced the stop
    }

    private async Task DisposeLinksAsync()
    {
        VarlinkClient events, acks;
        lock (_links) (events, acks) = (_events, _acks);
        await events.DisposeAsync().ConfigureAwait(false);
        await acks.DisposeAsync().ConfigureAwait(false);
    }
}
