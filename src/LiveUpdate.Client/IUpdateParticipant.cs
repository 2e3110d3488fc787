// IUpdateParticipant: what a workload implements to take part in an orchestrated live
// update. luod calls PrepareAsync when an update is coming (stop taking writes, flush,
// reach a state the next kernel's process can resume from) and FreezeAsync right before
// the reboot (nothing may change in preserved memory after it returns). Throwing from
// either refuses: the update is cancelled and every participant gets ResumeAsync, which
// means "carry on in this kernel". After the kexec the new process claims its sessions and
// calls LiveUpdateClient.ResumedAsync, which ends its measured blackout.
namespace LiveUpdate.Client;

public interface IUpdateParticipant
{
    Task PrepareAsync(UpdateNotice notice, CancellationToken cancellationToken);

    Task FreezeAsync(UpdateNotice notice, CancellationToken cancellationToken);

    Task ResumeAsync(UpdateNotice notice, CancellationToken cancellationToken);
}

/// <summary>An update event: which update, by when luod needs the answer, and (for resume) why it was cancelled.</summary>
public sealed record UpdateNotice(string UpdateId, DateTimeOffset? Deadline, string? Reason)
{
    /// <summary>Time left until the deadline (zero when past; infinite when there is none).</summary>
    public TimeSpan Remaining => Deadline is { } deadline
        ? (deadline - DateTimeOffset.UtcNow) is { } left && left > TimeSpan.Zero ? left : TimeSpan.Zero
        : Timeout.InfiniteTimeSpan;
}
