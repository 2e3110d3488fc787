// ManagedSession: a session luod preserves files into for the client. Each PreserveAsync
// passes a memfd to luod (SCM_RIGHTS), which preserves it under a token it allocates; the
// client may close its memfd afterwards — luod and the kernel keep the file.
using LiveUpdate.Kernel;

namespace LiveUpdate.Client;

public sealed class ManagedSession
{
    private readonly LiveUpdateClient _client;

    internal ManagedSession(LiveUpdateClient client, SessionInfo info)
    {
        _client = client;
        Info = info;
    }

    /// <summary>The session as luod described it when it was created.</summary>
    public SessionInfo Info { get; }

    public string Name => Info.Name;

    /// <summary>Preserves <paramref name="memfd"/> in this session under the file name <paramref name="name"/>.</summary>
    public Task<PreservedFileInfo> PreserveAsync(string name, MemFd memfd, CancellationToken cancellationToken = default) =>
        _client.PreserveAsync(Name, name, memfd, cancellationToken);

    /// <summary>Preserves the memfd behind <paramref name="memory"/> under the file name <paramref name="name"/>.</summary>
    public Task<PreservedFileInfo> PreserveAsync(string name, PreservedMemory memory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(memory);
        return _client.PreserveAsync(Name, name, memory.MemFd, cancellationToken);
    }
}
