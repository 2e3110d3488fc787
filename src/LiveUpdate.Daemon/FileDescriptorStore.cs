// FileDescriptorStore: where luod parks the descriptors that keep its sessions alive, so a
// luod crash or restart before the reboot loses nothing. A LUO session survives only while
// some process holds its fd; with systemd's fd store (FDSTORE=1) systemd holds a copy and
// hands it back on luod's next start (LISTEN_FDS). The registry stores and removes entries
// under its lock; FlushAsync lets a Varlink method wait until systemd has them before it
// tells the client "done".
using System.Runtime.InteropServices;

namespace LiveUpdate.Daemon;

public interface IFileDescriptorStore
{
    /// <summary>True when descriptors are actually kept outside luod (systemd gave luod an fd store).</summary>
    bool Enabled { get; }

    /// <summary>Keeps a copy of <paramref name="descriptor"/> under <paramref name="name"/>. The caller keeps its handle.</summary>
    void Store(string name, SafeHandle descriptor);

    /// <summary>Drops every copy kept under <paramref name="name"/>.</summary>
    void Remove(string name);

    /// <summary>Completes when every Store/Remove requested so far has reached the store.</summary>
    Task FlushAsync(CancellationToken cancellationToken = default);
}

/// <summary>No fd store (luod not started by systemd, or FileDescriptorStoreMax=0): custody ends with the process.</summary>
public sealed class NoFileDescriptorStore : IFileDescriptorStore
{
    public static NoFileDescriptorStore Instance { get; } = new();

    public bool Enabled => false;

    public void Store(string name, SafeHandle descriptor) { }

    public void Remove(string name) { }

    public Task FlushAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
}
