// FakeSystemdFdStore: the part of systemd (src/core/service.c, service_add_fd_store and
// FDSTOREREMOVE) that luod talks to, in-process: a datagram socket standing in for
// $NOTIFY_SOCKET that keeps every descriptor sent with FDSTORE=1 under its FDNAME, drops
// them on FDSTOREREMOVE=1, and on a "restart" passes duplicates back the way LISTEN_FDS and
// LISTEN_FDNAMES would. Because it holds real descriptors, the fake device sees sessions
// stay alive exactly as the kernel would while systemd holds them. KexecThroughSystemd is
// systemd >= 261's LUO handover of a FileDescriptorStorePreserve=yes store (src/core/luo.c,
// src/shared/luo-util.c): systemd-shutdown keeps session fds open and preserves plain fds
// in its own session "systemd"; the next PID 1 retrieves both and refills the store.
using System.Net.Sockets;
using System.Text;
using LiveUpdate.Kernel;
using LiveUpdate.Daemon;

namespace LiveUpdate.Testing;

/// <summary>
/// The part of systemd luod talks to when it keeps session descriptors in the service's fd
/// store: a datagram socket standing in for $NOTIFY_SOCKET that keeps every descriptor sent
/// with FDSTORE=1 under its FDNAME, drops them on FDSTOREREMOVE=1, and passes duplicates back
/// to a "restarted" luod as LISTEN_FDS/LISTEN_FDNAMES would.
/// </summary>
public sealed class FakeSystemdFdStore : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Lock _gate = new();
    private readonly List<(string Name, FileDescriptorHandle Descriptor)> _entries = [];

    /// <summary>Binds the notify socket as <paramref name="directory"/>/notify and starts receiving.</summary>
    public FakeSystemdFdStore(string directory)
    {
        SocketPath = Path.Combine(directory, "notify");
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        _socket.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _loop = Task.Run(ReceiveLoopAsync);
    }

    /// <summary>The socket to give luod as $NOTIFY_SOCKET.</summary>
    public string SocketPath { get; }

    /// <summary>Messages without descriptors that were not fd store commands (READY=1, STATUS=...).</summary>
    public List<string> OtherMessages { get; } = [];

    /// <summary>The FDNAME of every stored descriptor, in the order they arrived.</summary>
    public IReadOnlyList<string> Names { get { lock (_gate) return [.. _entries.Select(e => e.Name)]; } }

    /// <summary>What a restarted service gets: a duplicate of every stored descriptor, with its name.</summary>
    public List<ListenedDescriptor> PassToRestartedService()
    {
        lock (_gate)
            return [.. _entries.Select(e => new ListenedDescriptor(InheritedFileDescriptor.Adopt(NativeFile.Duplicate(e.Descriptor)), e.Name))];
    }

    /// <summary>
    /// A `systemctl kexec` with the store preserved, around <paramref name="backend"/>'s kexec
    /// (call it after luod stopped): systemd-shutdown creates session "systemd", preserves
    /// every plain descriptor in it from token 1 on (one already preserved elsewhere fails
    /// with EBUSY and is lost, as systemd warns) and holds the session descriptors open; after
    /// the kexec PID 1 retrieves them all, finishes "systemd" and puts each back under its
    /// FDNAME. Returns the names that did not survive. (systemd's JSON mapping at token 0 is
    /// kept in memory here: the fake stands for both ends.)
    /// </summary>
    public IReadOnlyList<string> KexecThroughSystemd(FakeLiveUpdateBackend backend)
    {
        lock (_gate)
        {
            var carried = new List<(string Name, string? SessionName, ulong Token)>();
            var lost = new List<string>();
            var shutdownSession = backend.Create("systemd");
            ulong token = 1;
            foreach (var (name, descriptor) in _entries)
            {
                if (backend.SessionNameOf(descriptor) is { } sessionName)
                {
                    carried.Add((name, sessionName, 0));
                    continue;
                }
                try
                {
                    shutdownSession.Preserve(descriptor, token);
                    carried.Add((name, null, token++));
                }
                catch (LiveUpdate.Kernel.Errors.LiveUpdateException) { lost.Add(name); }
            }
            backend.SimulateKexec();
            shutdownSession.Dispose();
            foreach (var entry in _entries) entry.Descriptor.Dispose();
            _entries.Clear();

            var retrieved = backend.Retrieve("systemd");
            foreach (var (name, sessionName, fileToken) in carried)
            {
                if (sessionName is null)
                {
                    using var memfd = retrieved.RetrieveMemFd(fileToken);
                    _entries.Add((name, InheritedFileDescriptor.Adopt(NativeFile.Duplicate(memfd))));
                    continue;
                }
                IBackendSession session;
                try { session = backend.Retrieve(sessionName); }
                catch (LiveUpdate.Kernel.Errors.LiveUpdateException) { lost.Add(name); continue; } // "Failed to retrieve LUO session"
                _entries.Add((name, InheritedFileDescriptor.Adopt(NativeFile.Duplicate(session.Handle))));
                session.Dispose(); // PID 1's own descriptor; the store's copy keeps the session
            }
            retrieved.Finish();
            retrieved.Dispose();
            return lost;
        }
    }

    /// <summary>
    /// Waits until the stored names satisfy <paramref name="condition"/> (the socket is
    /// asynchronous); throws <see cref="TimeoutException"/> naming what is stored after 5 s.
    /// </summary>
    public async Task WaitUntilAsync(Func<IReadOnlyList<string>, bool> condition)
    {
        for (int i = 0; i < 500 && !condition(Names); i++) await Task.Delay(10);
        if (!condition(Names)) throw new TimeoutException($"fd store holds [{string.Join(", ", Names)}]");
    }

    private async Task ReceiveLoopAsync()
    {
        byte[] buffer = new byte[4096];
        while (!_stop.IsCancellationRequested)
        {
            UnixSocketReceiveResult received;
            try { received = await UnixSocketMessaging.ReceiveAsync(_socket.SafeHandle, buffer, cancellationToken: _stop.Token); }
            catch (OperationCanceledException) { return; }
            var fields = Encoding.ASCII.GetString(buffer, 0, received.BytesReceived).Split('\n')
                .Select(line => line.Split('=', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1]);
            fields.TryGetValue("FDNAME", out string? name);
            lock (_gate)
            {
                if (fields.GetValueOrDefault("FDSTORE") == "1")
                {
                    foreach (var descriptor in received.FileDescriptors) _entries.Add((name ?? "stored", descriptor));
                }
                else
                {
                    foreach (var descriptor in received.FileDescriptors) descriptor.Dispose(); // systemd closes fds it did not ask for
                    if (fields.GetValueOrDefault("FDSTOREREMOVE") == "1")
                    {
                        foreach (var entry in _entries.Where(e => e.Name == name).ToList())
                        {
                            entry.Descriptor.Dispose();
                            _entries.Remove(entry);
                        }
                    }
                    else
                    {
                        OtherMessages.Add(Encoding.ASCII.GetString(buffer, 0, received.BytesReceived));
                    }
                }
            }
        }
    }

    /// <summary>Stops receiving and closes every stored descriptor.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _socket.Dispose();
        lock (_gate)
        {
            foreach (var entry in _entries) entry.Descriptor.Dispose();
            _entries.Clear();
        }
    }
}
