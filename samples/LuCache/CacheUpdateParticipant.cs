// CacheUpdateParticipant: lucache's answer to luod's orchestrated update, through the SDK's
// IUpdateParticipant: prepare stops taking writes (gets keep being served), freeze makes
// the arena self-describing for the next kernel (frozen header + index snapshot), and resume (a cancelled update) takes
// writes again. After the kexec the new process attaches the same memfd and tells luod it
// resumed, which ends the blackout luod measures.
using LiveUpdate.Client;

namespace LuCache;

public sealed class CacheUpdateParticipant(ICacheLifecycle cache, TextWriter log) : IUpdateParticipant
{
    public Task PrepareAsync(UpdateNotice notice, CancellationToken cancellationToken)
    {
        // PauseWrites waits for writes in flight; run it off the SDK's event loop.
        return Task.Run(() =>
        {
            cache.PauseWrites();
            log.WriteLine($"lucache: update {notice.UpdateId}: writes paused (gets still served)");
        }, cancellationToken);
    }

    public Task FreezeAsync(UpdateNotice notice, CancellationToken cancellationToken)
    {
        var frozen = cache.FlushForFreeze();
        string snapshot = frozen.Snapshot is { Written: true } s
            ? $", index snapshot {s.Entries} entries ({s.Bytes} bytes) in {s.WriteTime.TotalMilliseconds:0.0} ms"
            : ", no index snapshot (no room after the write offset)";
        log.WriteLine($"lucache: update {notice.UpdateId}: arena frozen with {frozen.Items} items, write offset {frozen.WriteOffset}{snapshot}");
        return Task.CompletedTask;
    }

    public Task ResumeAsync(UpdateNotice notice, CancellationToken cancellationToken)
    {
        cache.ResumeWrites();
        log.WriteLine($"lucache: update {notice.UpdateId} cancelled ({notice.Reason}); writes resumed");
        return Task.CompletedTask;
    }
}
