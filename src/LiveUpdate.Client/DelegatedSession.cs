// DelegatedSession: a delegated session's kernel session fd, passed by luod. The client
// preserves its own files on it with PRESERVE_FD under tokens it chooses; luod holds its
// own copy of the session fd, so disposing this (closing the client's copy) keeps the session.
using LiveUpdate.Kernel;

namespace LiveUpdate.Client;

public sealed class DelegatedSession : IDisposable
{
    private readonly LiveUpdateSession _session;

    internal DelegatedSession(SessionInfo info, LiveUpdateSession session)
    {
        Info = info;
        _session = session;
    }

    /// <summary>The session as luod described it when it was created.</summary>
    public SessionInfo Info { get; }

    public string Name => Info.Name;

    /// <summary>The session's name as the kernel knows it (luod derives it from the owner and <see cref="Name"/>).</summary>
    public string KernelName => _session.Name;

    /// <summary>
    /// Preserves <paramref name="memfd"/> under <paramref name="token"/> directly on the kernel
    /// session (the kernel's errors come as LiveUpdate.Kernel.Errors exceptions).
    /// </summary>
    public void Preserve(MemFd memfd, ulong token)
    {
        ArgumentNullException.ThrowIfNull(memfd);
        _session.Preserve(memfd, token);
    }

    /// <summary>Preserves the memfd behind <paramref name="memory"/> under <paramref name="token"/>.</summary>
    public void Preserve(PreservedMemory memory, ulong token)
    {
        ArgumentNullException.ThrowIfNull(memory);
        _session.Preserve(memory.MemFd, token);
    }

    /// <summary>Closes the client's copy of the session fd; luod keeps the session.</summary>
    public void Dispose() => _session.Dispose();
}
