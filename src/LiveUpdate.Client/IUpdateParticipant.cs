// IUpdateParticipant: what a workload implements to take part in an orchestrated live
// update. luod calls PrepareAsync when an update is coming (stop taking writes, flush,
// reach a state the next kernel's process can resume from) and FreezeAsync right before
// the reboot (nothing may change in preserved memory after it returns). Throwing from
// either refuses: the update is cancelled and every participant gets ResumeAsync, which
// means "carry on in this kernel". After the kexec the new process claims its sessions and
// calls LiveUpdateClient.ResumedAsync, which ends its measured blackout. A participant
// whose workload stops serving at another moment than its acknowledgement (a VMM that runs
// its guest through prepare and stops the vCPUs in freeze) says when through PausedAt.
namespace LiveUpdate.Client;

public interface IUpdateParticipant
{
    Task PrepareAsync(UpdateNotice notice, CancellationToken cancellationToken);

    Task FreezeAsync(UpdateNotice notice, CancellationToken cancellationToken);

    Task ResumeAsync(UpdateNotice notice, CancellationToken cancellationToken);

    /// <summary>
    /// When the workload really stopped serving for this update, if that is not the moment its prepare
    /// acknowledgement reaches luod: read by the subscription each time PrepareAsync or FreezeAsync returned,
    /// and sent with that acknowledgement (pausedAtNs, CLOCK_REALTIME) — at freeze only when it changed since
    /// prepare. The client's blackout in luod's report starts there. Set it in FreezeAsync for a workload that
    /// serves until freeze (e.g. the moment QEMU reported STOP). A moment before this update's prepare event
    /// reached the subscription is taken as an earlier update's and not sent; one luod refuses (in the future)
    /// is dropped and the acknowledgement sent without it, so the update goes on. Null (the default): the
    /// acknowledgement's own moment counts.
    /// </summary>
    DateTimeOffset? PausedAt => null;

    /// <summary>
    /// The subscription's link to luod changed: <paramref name="connected"/> false when luod's connection
    /// closed (luod stopped, crashed or is restarting; the subscription reconnects by itself), true when luod
    /// confirmed the subscription again. <paramref name="detail"/> says why, for the workload's log. The
    /// default does nothing.
    /// </summary>
    void ConnectionChanged(bool connected, string detail) { }
}

/// <summary>An update event: which update, by when luod needs the answer, and (for resume) why it was cancelled.</summary>
public sealed record UpdateNotice(string UpdateId, DateTimeOffset? Deadline, string? Reason)
{
    /// <summary>Time left until the deadline (zero when past; infinite when there is none).</summary>
    public TimeSpan Remaining => Deadline is { } deadline
        ? (deadline - DateTimeOffset.UtcNow) is { } left && left > TimeSpan.Zero ? left : TimeSpan.Zero
        : Timeout.InfiniteTimeSpan;
}
