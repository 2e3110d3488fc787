// FakeSystemdSupervisor: the guest's stand-in for systemd (the guest runs busybox /init,
// no systemd). It binds a Unix datagram socket for $NOTIFY_SOCKET and does what
// src/core/service.c does with a service's notifications: FDSTORE=1 keeps the attached
// descriptors under their FDNAME, FDSTOREREMOVE=1 closes the ones of that name, READY=1 is
// recorded; descriptors sent with anything else are closed. Restarting the service passes
// the stored descriptors back at 3, 4, … with LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID set
// the way systemd's exec does (LISTEN_PID must be the pid of the program that reads them,
// so a shell exports its own pid and execs the program). It keeps its copies across the
// restart, as systemd does with FileDescriptorStorePreserve=.
using System.Net.Sockets;
using System.Text;
using LiveUpdate.Kernel;

namespace LiveUpdate.Guest.Scenarios;

public sealed class FakeSystemdSupervisor : IAsyncDisposable
{
    public const string DefaultSocketPath = "/run/fake-systemd/notify";

    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<(string Name, ReceivedFileDescriptor Descriptor)> _entries = [];
    private readonly List<string> _messages = [];
    private readonly SemaphoreSlim _ready = new(0);
    private readonly Task _loop;

    public FakeSystemdSupervisor(int fdStoreLimit = 64, string socketPath = DefaultSocketPath)
    {
        FdStoreLimit = fdStoreLimit;
        SocketPath = socketPath;
        Directory.CreateDirectory(Path.GetDirectoryName(socketPath)!);
        if (File.Exists(socketPath)) File.Delete(socketPath);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        _socket.Bind(new UnixDomainSocketEndPoint(socketPath));
        _loop = Task.Run(ReceiveLoopAsync);
    }

    public string SocketPath { get; }

    public int FdStoreLimit { get; }

    /// <summary>What systemd sets for a service with an fd store: NOTIFY_SOCKET and FDSTORE (FileDescriptorStoreMax=).</summary>
    public IReadOnlyDictionary<string, string> ServiceEnvironment => new Dictionary<string, string>
    {
        ["NOTIFY_SOCKET"] = SocketPath,
        ["FDSTORE"] = FdStoreLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The FDNAMEs of the stored descriptors, in the order they were stored.</summary>
    public IReadOnlyList<string> StoredNames { get { lock (_gate) return [.. _entries.Select(e => e.Name)]; } }

    /// <summary>Every notification received, one line each (newlines shown as ';'), for step details.</summary>
    public IReadOnlyList<string> Messages { get { lock (_gate) return [.. _messages]; } }

    /// <summary>Waits for the next READY=1 not yet waited for.</summary>
    public async Task WaitForReadyAsync(TimeSpan timeout)
    {
        if (!await _ready.WaitAsync(timeout))
            throw new TimeoutException($"no READY=1 on {SocketPath} within {timeout.TotalSeconds:F0} s; received: [{string.Join(" | ", Messages)}]");
    }

    /// <summary>Waits until the stored names satisfy <paramref name="condition"/> (the pump sending them is asynchronous).</summary>
    public async Task<IReadOnlyList<string>> WaitForStoredAsync(Func<IReadOnlyList<string>, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition(StoredNames))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the fd store holds [{string.Join(", ", StoredNames)}], not what was expected, after {timeout.TotalSeconds:F0} s");
            await Task.Delay(20);
        }
        return StoredNames;
    }

    /// <summary>
    /// Starts <paramref name="program"/> as systemd restarts a service: with the stored
    /// descriptors at 3.. (LISTEN_FDS, LISTEN_FDNAMES), LISTEN_PID equal to its pid, this
    /// process's environment plus <see cref="ServiceEnvironment"/>. Returns the process and
    /// the names passed, in descriptor order.
    /// </summary>
    public (SpawnedProcess Process, IReadOnlyList<string> Names) StartWithStoredDescriptors(string program, IReadOnlyList<string> arguments)
    {
        List<(string Name, ReceivedFileDescriptor Descriptor)> entries;
        lock (_gate) entries = [.. _entries];
        var environment = new Dictionary<string, string>();
        foreach (System.Collections.DictionaryEntry variable in Environment.GetEnvironmentVariables())
            environment[(string)variable.Key] = (string?)variable.Value ?? "";
        foreach (var (name, value) in ServiceEnvironment) environment[name] = value;
        environment.Remove("LISTEN_PID");
        environment["LISTEN_FDS"] = entries.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["LISTEN_FDNAMES"] = string.Join(':', entries.Select(e => e.Name));
        // $$ is the shell's pid, and exec keeps it: the program sees LISTEN_PID == getpid().
        var process = ChildProcessSpawner.Spawn("/bin/sh", ["-c", "export LISTEN_PID=$$; exec \"$0\" \"$@\"", program, .. arguments],
            environment, [.. entries.Select(e => (System.Runtime.InteropServices.SafeHandle)e.Descriptor)]);
        return (process, [.. entries.Select(e => e.Name)]);
    }

    private async Task ReceiveLoopAsync()
    {
        byte[] buffer = new byte[4096];
        while (!_stop.IsCancellationRequested)
        {
            UnixSocketReceiveResult received;
            try
            {
                received = await UnixSocketMessaging.ReceiveAsync(_socket.SafeHandle, buffer, cancellationToken: _stop.Token);
            }
            catch (OperationCanceledException) { return; }
            catch (Exception error)
            {
                lock (_gate) _messages.Add($"receive failed: {error.GetType().Name}: {error.Message}");
                continue;
            }
            string text = Encoding.UTF8.GetString(buffer, 0, received.BytesReceived);
            var fields = new Dictionary<string, string>();
            foreach (string line in text.Split('\n'))
                if (line.Split('=', 2) is [var key, var value]) fields[key] = value;
            fields.TryGetValue("FDNAME", out string? name);
            bool ready = false;
            lock (_gate)
            {
                _messages.Add($"{text.Replace('\n', ';')}{(received.FileDescriptors.Count > 0 ? $" +{received.FileDescriptors.Count} fd" : "")}");
                if (fields.GetValueOrDefault("FDSTORE") == "1")
                {
                    foreach (var descriptor in received.FileDescriptors)
                    {
                        if (_entries.Count >= FdStoreLimit) { descriptor.Dispose(); continue; } // systemd closes what exceeds FileDescriptorStoreMax=
                        _entries.Add((name ?? "stored", descriptor));
                    }
                }
                else
                {
                    foreach (var descriptor in received.FileDescriptors) descriptor.Dispose();
                    if (fields.GetValueOrDefault("FDSTOREREMOVE") == "1")
                    {
                        foreach (var entry in _entries.Where(e => e.Name == name).ToList())
                        {
                            entry.Descriptor.Dispose();
                            _entries.Remove(entry);
                        }
                    }
                    ready = fields.GetValueOrDefault("READY") == "1";
                }
            }
            if (ready) _ready.Release();
        }
    }

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
