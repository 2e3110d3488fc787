// ScriptedUpdateLuod: a stand-in luod for the SDK's reconnection rules, speaking the real
// io.liveupdate interface text on a socket a test chooses. Its Subscribe streams exactly the
// events a test scripts — `subscribed` (optionally naming an update that ended in this boot),
// then prepare and freeze of one update, each waiting for its acknowledgement — and then
// holds the call until the server stops. Stopping closes every connection without a last
// reply, as a luod that is killed or stops does; a new instance on the same path is the
// restarted luod. The real luod cannot be made to die between freeze and reboot in process
// (its cancel path runs); this can, deterministically.
using LiveUpdate.Daemon;
using LiveUpdate.Protocol;
using LiveUpdate.Varlink;

namespace LiveUpdate.Client.Tests;

internal sealed class ScriptedUpdateLuod : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;
    private readonly string? _endedUpdateId;
    private readonly string? _runsUpdateId;
    private readonly System.Threading.Channels.Channel<AcknowledgePhase> _acks = System.Threading.Channels.Channel.CreateUnbounded<AcknowledgePhase>();

    /// <param name="socketPath">Where to listen (reuse it for the "restarted" luod).</param>
    /// <param name="endedUpdateId">The update this luod's subscribed event names as ended in this boot without a kexec.</param>
    /// <param name="runsUpdateId">When set, every subscriber is taken through prepare and freeze of this update.</param>
    public ScriptedUpdateLuod(string socketPath, string? endedUpdateId = null, string? runsUpdateId = null)
    {
        (SocketPath, _endedUpdateId, _runsUpdateId) = (socketPath, endedUpdateId, runsUpdateId);
        var server = new VarlinkServer(new VarlinkServiceInfo("LiveUpdate", "luod-scripted", "test", "https://example.invalid/luod"));
        server.AddInterface(new VarlinkInterface(LiveUpdateInterface.Description)
            .AddMethod(LiveUpdateProtocol.Methods.Subscribe, SubscribeAsync, new VarlinkMethodOptions { RequiresMore = true })
            .AddMethod(LiveUpdateProtocol.Methods.Acknowledge, AcknowledgeAsync));
        _serving = server.RunAsync(socketPath, _stop.Token);
    }

    public string SocketPath { get; }

    /// <summary>How many Subscribe calls arrived.</summary>
    public int Subscribes => Volatile.Read(ref _subscribes);
    private int _subscribes;

    /// <summary>Completed once the scripted update's freeze was acknowledged.</summary>
    public TaskCompletionSource Frozen { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static LiveUpdateProtocolJson Json => LiveUpdateProtocolJson.Default;

    private async Task SubscribeAsync(VarlinkCallContext call)
    {
        Interlocked.Increment(ref _subscribes);
        string reason = $"update {_endedUpdateId} ended in this boot without a kexec: the luod running it stopped before the reboot";
        await call.NotifyAsync(new SubscribeReply { Event = new UpdateEvent
        {
            Event = UpdateEventKind.Subscribed, UpdateId = _endedUpdateId, Reason = _endedUpdateId is null ? null : reason,
        } }, Json.SubscribeReply);
        if (_runsUpdateId is { } updateId)
        {
            long deadlineNs = DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds() * 1_000_000;
            foreach (var (kind, phase) in new[] { (UpdateEventKind.Prepare, AcknowledgePhase.Prepare), (UpdateEventKind.Freeze, AcknowledgePhase.Freeze) })
            {
                await call.NotifyAsync(new SubscribeReply { Event = new UpdateEvent { Event = kind, UpdateId = updateId, DeadlineNs = deadlineNs } }, Json.SubscribeReply);
                var acknowledged = await _acks.Reader.ReadAsync(call.CancellationToken);
                Assert.Equal(phase, acknowledged);
            }
            Frozen.TrySetResult();
        }
        await Task.Delay(Timeout.Infinite, call.CancellationToken); // until "killed": no last reply
    }

    private async Task AcknowledgeAsync(VarlinkCallContext call)
    {
        var parameters = call.ReadParameters(Json.AcknowledgeParameters);
        Assert.True(parameters.Ok);
        await _acks.Writer.WriteAsync(parameters.Phase);
        await call.ReplyAsync(new AcknowledgeReply(), Json.AcknowledgeReply);
    }

    /// <summary>Dies: every connection closes without a last reply.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync();
        await _serving.WaitAsync(InProcessLuod.Timeout);
    }
}
