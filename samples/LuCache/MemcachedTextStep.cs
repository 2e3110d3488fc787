// MemcachedTextStep: what MemcachedTextSession.Process asks of the connection that feeds it
// bytes — go on with the rest of the buffer, read more, hold the bytes until writes resume (a
// live update paused them), or close. Its own type so the socket loop (MemcachedTextServer)
// and the socket-free drivers (the lucache-text fuzz target) speak the same contract.
namespace LuCache;

public enum MemcachedTextStep
{
    /// <summary>One command (or a piece of a skipped data block) was consumed; call again on the rest.</summary>
    Continue,
    /// <summary>The buffer holds no complete command; read more bytes and call again on all of them.</summary>
    NeedMore,
    /// <summary>A write is held by a live update's pause; nothing was consumed. Wait, then call again (pausedTimedOut when the wait timed out).</summary>
    WritePaused,
    /// <summary>quit, or a line over the limit: flush the replies and close the connection.</summary>
    Close,
}
