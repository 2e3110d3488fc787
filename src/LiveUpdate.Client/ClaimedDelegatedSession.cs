// ClaimedDelegatedSession: a delegated session claimed after a kexec — the incoming kernel
// session fd. Retrieve the memfds by the tokens they were preserved under, then FinishAsync.
using LiveUpdate.Kernel;

namespace LiveUpdate.Client;

public sealed class ClaimedDelegatedSession : ClaimedSession
{
    private readonly LiveUpdateSession _session;

    internal ClaimedDelegatedSession(LiveUpdateClient client, SessionInfo info, LiveUpdateSession session) : base(client, info) =>
        _session = session;

    /// <summary>The session's name as the kernel knows it.</summary>
    public string KernelName => _session.Name;

    /// <summary>Retrieves the memfd preserved under <paramref name="token"/>; the caller owns it.</summary>
    public MemFd Retrieve(ulong token) => _session.RetrieveMemFd(token);

    /// <summary>Closes the client's copy of the incoming session fd.</summary>
    public override void Dispose() => _session.Dispose();
}
