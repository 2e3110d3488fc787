// RecordingParticipant: the IUpdateParticipant the update tests subscribe — it records each hook
// it hears (prepare, freeze, resume), checks prepare carries a deadline, runs the test's prepare
// action (refuse, hang, hold) and completes Resumed with the resume's reason.
namespace LiveUpdate.Client.Tests;

internal sealed class RecordingParticipant(Func<Task>? onPrepare = null) : IUpdateParticipant
{
    public List<string> Calls { get; } = [];
    public TaskCompletionSource<string?> Resumed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task PrepareAsync(UpdateNotice notice, CancellationToken cancellationToken)
    {
        lock (Calls) Calls.Add("prepare");
        Assert.NotNull(notice.Deadline);
        if (onPrepare is not null) await onPrepare().WaitAsync(cancellationToken);
    }

    public Task FreezeAsync(UpdateNotice notice, CancellationToken cancellationToken)
    {
        lock (Calls) Calls.Add("freeze");
        return Task.CompletedTask;
    }

    public Task ResumeAsync(UpdateNotice notice, CancellationToken cancellationToken)
    {
        lock (Calls) Calls.Add("resume");
        Resumed.TrySetResult(notice.Reason);
        return Task.CompletedTask;
    }
}
