// ClaimedManagedSession: a managed session claimed after a kexec — every preserved file as a
// MemFd, by the name it was preserved under. Map one to read it as Memory<byte>; FinishAsync
// once done. Disposing closes the MemFds (map or duplicate what you keep beyond that).
using LiveUpdate.Kernel;

namespace LiveUpdate.Client;

public sealed class ClaimedManagedSession : ClaimedSession
{
    private readonly Dictionary<string, MemFd> _files;

    internal ClaimedManagedSession(LiveUpdateClient client, SessionInfo info, Dictionary<string, MemFd> files) : base(client, info) =>
        _files = files;

    /// <summary>The session's files by name; they belong to this session object.</summary>
    public IReadOnlyDictionary<string, MemFd> Files => _files;

    /// <summary>Maps the file <paramref name="name"/>; dispose the result to unmap (the MemFd stays open).</summary>
    public PreservedMemory Map(string name, bool writable = false)
    {
        if (!_files.TryGetValue(name, out var memfd))
            throw new KeyNotFoundException(
                $"Session '{Name}' has no file named '{name}'; it has {(_files.Count == 0 ? "none" : string.Join(", ", _files.Keys.Select(k => $"'{k}'")))}.");
        return PreservedMemory.Open(memfd, writable);
    }

    public override void Dispose()
    {
        foreach (var memfd in _files.Values) memfd.Dispose();
    }
}
