// ClaimedSession: a session taken back from luod after a kexec — its description, and
// Finish, which tells luod the client has what it needs. Managed and delegated sessions
// come back differently (ClaimedManagedSession / ClaimedDelegatedSession).
namespace LiveUpdate.Client;

public abstract class ClaimedSession : IDisposable
{
    private readonly LiveUpdateClient _client;

    private protected ClaimedSession(LiveUpdateClient client, SessionInfo info)
    {
        _client = client;
        Info = info;
    }

    /// <summary>The session as luod described it when it was claimed.</summary>
    public SessionInfo Info { get; }

    public string Name => Info.Name;

    /// <summary>Asks luod to FINISH the session: the kernel lets go of its files and luod forgets it. Do it once everything is retrieved.</summary>
    public Task FinishAsync(CancellationToken cancellationToken = default) => _client.FinishAsync(Name, cancellationToken);

    /// <summary>Closes the client's descriptors (retrieved MemFds the caller took ownership of stay open).</summary>
    public abstract void Dispose();
}
