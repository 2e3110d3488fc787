// UpdateParticipant: a workload subscribed to update events (Subscribe, a Varlink call with
// "more"). luod queues events for it; the Subscribe handler streams them to the client.
// During prepare and freeze the coordinator waits for the participant's acknowledgement
// (which arrives on another connection, through Acknowledge).
using System.Threading.Channels;
using LiveUpdate.Protocol;

namespace LiveUpdate.Daemon;

/// <summary>A participant's acknowledgement: ok or refused (why), and when it really paused if it said (CLOCK_REALTIME ns).</summary>
public sealed record ParticipantAnswer(bool Ok, string? Reason, long? PausedAtNs = null);

public sealed class UpdateParticipant(uint owner, string name)
{
    private readonly Channel<UpdateEvent> _events = Channel.CreateUnbounded<UpdateEvent>(new UnboundedChannelOptions { SingleReader = true });
    private TaskCompletionSource<ParticipantAnswer>? _ack;
    private string? _awaitedPhase;

    public uint Owner { get; } = owner;

    public string Name { get; } = name;

    /// <summary>Set when streaming to the client failed: it is gone.</summary>
    public bool Gone { get; private set; }

    public ChannelReader<UpdateEvent> Events => _events.Reader;

    public override string ToString() => Owner == 0 ? Name : $"{Name} (uid {Owner})";

    /// <summary>Queues an event and, for prepare/freeze, starts waiting for the acknowledgement of <paramref name="awaitedPhase"/>.</summary>
    public Task<ParticipantAnswer>? Send(UpdateEvent update, string? awaitedPhase)
    {
        lock (_events)
        {
            _awaitedPhase = awaitedPhase;
            _ack = awaitedPhase is null ? null : new TaskCompletionSource<ParticipantAnswer>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (Gone) _ack?.TrySetResult(new ParticipantAnswer(false, "its connection to luod closed"));
            _events.Writer.TryWrite(update);
            return _ack?.Task;
        }
    }

    /// <summary>True when an acknowledgement of <paramref name="phase"/> is awaited from it now.</summary>
    public bool Awaits(string phase)
    {
        lock (_events) return _ack is { Task.IsCompleted: false } && _awaitedPhase == phase;
    }

    /// <summary>The participant's answer; false when nothing of that phase is awaited from it.</summary>
    public bool Acknowledge(string phase, ParticipantAnswer answer)
    {
        lock (_events)
        {
            if (_ack is null || _awaitedPhase != phase) return false;
            return _ack.TrySetResult(answer);
        }
    }

    /// <summary>The client's connection broke: whatever is awaited from it fails now.</summary>
    public void MarkGone()
    {
        lock (_events)
        {
            Gone = true;
            _ack?.TrySetResult(new ParticipantAnswer(false, "its connection to luod closed"));
            _events.Writer.TryComplete();
        }
    }
}
