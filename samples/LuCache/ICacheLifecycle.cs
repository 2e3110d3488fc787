// ICacheLifecycle: the seam for luod's live-update hooks. CacheUpdateParticipant (the SDK's
// IUpdateParticipant) calls these on the cache when luod prepares, freezes or cancels an
// update; tests drive them directly.
//
//   prepare  -> PauseWrites(): writes queue (and fail after the configured timeout with
//               "SERVER_ERROR writes paused for a live update"); gets keep being served.
//   freeze   -> FlushForFreeze(): no write in flight, header rewritten (state Frozen, CRC),
//               report returned for the log. The memfd is now consistent for the kexec.
//   cancel   -> ResumeWrites(): the update did not happen; carry on in this kernel.
//   (after the kexec the new process attaches the same memfd: CacheEngine.Attach, generation+1)
namespace LuCache;

public interface ICacheLifecycle
{
    /// <summary>Stops accepting writes; returns once no write is in flight. Reads continue.</summary>
    void PauseWrites();

    /// <summary>Makes the arena self-describing for the next kernel: pauses writes if needed, rewrites the header as Frozen.</summary>
    FreezeReport FlushForFreeze();

    /// <summary>Accepts writes again (after a cancelled update, or once the resumed process is serving).</summary>
    void ResumeWrites();

    bool WritesPaused { get; }
}

/// <summary>The arena as frozen: what the next kernel's attach should find (Snapshot: the index snapshot written with it).</summary>
public sealed record FreezeReport(long Items, long WriteOffset, long DeadBytes, long Generation, uint HeaderCrc, SnapshotReport? Snapshot = null);
