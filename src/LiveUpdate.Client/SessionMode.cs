// SessionMode: how a luod session preserves files (io.liveupdate Session.mode) — delegated
// (the client holds the kernel session fd and preserves its own files) or managed (the
// client passes fds to luod, which preserves them).
namespace LiveUpdate.Client;

public enum SessionMode
{
    Delegated,
    Managed,
}
