// UpdateSubscription: a participant's live link to luod's update flow. It holds two
// connections of its own — one streaming events (Subscribe, a call with "more"), one for
// the acknowledgements, because a Varlink connection answers one call at a time — and runs
// the participant's hooks as events arrive: prepare and freeze are acknowledged with ok or
// the hook's exception message (a refusal), within the deadline luod gave. Dispose to leave.
using System.Text.Json.Nodes;
using LiveUpdate.Client.Errors;
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

    private UpdateSubscription(string name, VarlinkClient events, VarlinkClient acks, IUpdateParticipant participant)
    {
        Name = name;
        _events = events;
        _acks = acks;
        _participant = participant;
    }

    public string Name { get; }

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
            await foreach (var result in _events.CallMoreAsync("io.liveupdate.Subscribe", new JsonObject { ["participant"] = Name }, null, _stop.Token).ConfigureAwait(false))
            {
                using (result)
                {
                    var update = result.Parameters["event"] as JsonObject ?? throw new LuodProtocolException("luod sent an update event without 'event'.");
                    string kind = update["event"]?.GetValue<string>() ?? "";
                    if (kind == "subscribed")
                    {
                        _subscribed.TrySetResult();
                        continue;
                    }
                    var notice = new UpdateNotice(
                        update["updateId"]?.GetValue<string>() ?? "",
                        update["deadlineNs"] is JsonValue deadline && deadline.TryGetValue(out long ns) ? DateTimeOffset.UnixEpoch.AddTicks(ns / 100) : null,
                        update["reason"]?.GetValue<string>());
                    switch (kind)
                    {
                        case "prepare": await RunHookAsync("prepare", notice, _participant.PrepareAsync).ConfigureAwait(false); break;
                        case "freeze": await RunHookAsync("freeze", notice, _participant.FreezeAsync).ConfigureAwait(false); break;
                        case "resume": await _participant.ResumeAsync(notice, _stop.Token).ConfigureAwait(false); break;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
        catch (VarlinkErrorException error)
        {
            throw LiveUpdateClientException.FromReply(error);
        }
    }

    private async Task RunHookAsync(string phase, UpdateNotice notice, Func<UpdateNotice, CancellationToken, Task> hook)
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
            reason = error is OperationCanceledException ? $"{phase} did not finish before luod's deadline" : error.Message;
        }
        var parameters = new JsonObject { ["updateId"] = notice.UpdateId, ["participant"] = Name, ["phase"] = phase, ["ok"] = ok, ["reason"] = reason };
        try
        {
            using var _ = await _acks.CallAsync("io.liveupdate.Acknowledge", parameters, null, _stop.Token).ConfigureAwait(false);
        }
        catch (VarlinkErrorException) { /* the update moved on (cancelled or timed out); the resume event follows */ }
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
