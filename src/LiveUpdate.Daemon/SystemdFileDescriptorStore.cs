// SystemdFileDescriptorStore: systemd's fd store (sd_pid_notify_with_fds(3) without
// libsystemd). Each Store sends "FDSTORE=1\nFDNAME=<name>\nFDPOLL=0" with the descriptor
// attached (SCM_RIGHTS) to $NOTIFY_SOCKET; each Remove sends "FDSTOREREMOVE=1\nFDNAME=<name>".
// systemd keeps the copies while luod restarts (FileDescriptorStorePreserve=) and passes them
// back as LISTEN_FDS with their names. FDPOLL=0: a session fd never signals EPOLLHUP, and
// systemd must not drop it on its own.
//
// The registry calls Store/Remove under its lock, so they only queue (the descriptor is
// AddRef'd, so closing it meanwhile cannot reuse its number); one pump sends in order.
// systemd is enabled for luod when it sets $FDSTORE (FileDescriptorStoreMax=, systemd ≥ 254)
// and $NOTIFY_SOCKET; beyond FDSTORE entries systemd closes the excess, so luod warns.
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Channels;
using LiveUpdate.Kernel;
using LiveUpdate.Kernel.Errors;
using Microsoft.Extensions.Logging;

namespace LiveUpdate.Daemon;

public sealed class SystemdFileDescriptorStore : IFileDescriptorStore, IAsyncDisposable
{
    private readonly Channel<Request> _requests = Channel.CreateUnbounded<Request>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Socket _socket;
    private readonly ILogger _log;
    private readonly int _limit;
    private readonly HashSet<string> _stored = [];
    private readonly Task _pump;
    private bool _overLimitReported;

    public SystemdFileDescriptorStore(string notifySocket, int limit, ILogger log)
    {
        _log = log;
        _limit = limit;
        string path = notifySocket.StartsWith('@') ? "\0" + notifySocket[1..] : notifySocket;
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        _socket.Connect(new UnixDomainSocketEndPoint(path));
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>The store systemd offers this process, or <see cref="NoFileDescriptorStore"/> (with the reason logged).</summary>
    public static IFileDescriptorStore FromEnvironment(ILogger log)
    {
        string? socket = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        string? limitText = Environment.GetEnvironmentVariable("FDSTORE");
        if (string.IsNullOrEmpty(socket))
        {
            log.LogInformation("luod: no systemd fd store (not started by systemd); if luod stops before the reboot, the kernel releases the sessions it holds");
            return NoFileDescriptorStore.Instance;
        }
        if (!int.TryParse(limitText, out int limit) || limit <= 0)
        {
            log.LogWarning("luod: systemd gives luod no fd store ($FDSTORE is '{Limit}'); set FileDescriptorStoreMax= in luod.service (systemd >= 254) so a luod restart does not lose sessions", limitText ?? "unset");
            return NoFileDescriptorStore.Instance;
        }
        try
        {
            var store = new SystemdFileDescriptorStore(socket, limit, log);
            log.LogInformation("luod: session fds are kept in systemd's fd store (up to {Limit})", limit);
            return store;
        }
        catch (SocketException error)
        {
            log.LogError("luod: cannot reach systemd's notify socket {Socket} ({Message}); session fds are not kept in the fd store", socket, error.Message);
            return NoFileDescriptorStore.Instance;
        }
    }

    public bool Enabled => true;

    public void Store(string name, SafeHandle descriptor)
    {
        bool added = false;
        descriptor.DangerousAddRef(ref added);
        if (!_requests.Writer.TryWrite(new Request(name, descriptor, null)))
        {
            descriptor.DangerousRelease();
            throw new InvalidOperationException("the fd store is shut down");
        }
    }

    public void Remove(string name) => _requests.Writer.TryWrite(new Request(name, null, null));

    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_requests.Writer.TryWrite(new Request(null, null, done))) return Task.CompletedTask;
        return done.Task.WaitAsync(cancellationToken);
    }

    private async Task PumpAsync()
    {
        await foreach (var request in _requests.Reader.ReadAllAsync())
        {
            if (request.Flushed is { } flushed)
            {
                flushed.TrySetResult();
                continue;
            }
            try
            {
                if (request.Descriptor is { } descriptor)
                {
                    await SendAsync($"FDSTORE=1\nFDNAME={request.Name}\nFDPOLL=0", [descriptor]);
                    _stored.Add(request.Name!);
                    if (_stored.Count > _limit && !_overLimitReported)
                    {
                        _overLimitReported = true;
                        _log.LogWarning("luod: {Count} descriptors exceed systemd's fd store limit of {Limit}; systemd closes the excess, so a luod restart would lose those sessions. Raise FileDescriptorStoreMax= in luod.service", _stored.Count, _limit);
                    }
                }
                else
                {
                    await SendAsync($"FDSTOREREMOVE=1\nFDNAME={request.Name}", null);
                    _stored.Remove(request.Name!);
                }
            }
            catch (Exception error) when (error is LiveUpdateException or SocketException or ObjectDisposedException)
            {
                _log.LogError("luod: systemd's fd store did not take '{Name}' ({Message}); a luod restart would lose it", request.Name, error.Message);
            }
            finally
            {
                request.Descriptor?.DangerousRelease();
            }
        }
    }

    private ValueTask SendAsync(string message, IReadOnlyList<SafeHandle>? descriptors) =>
        UnixSocketMessaging.SendAsync(_socket.SafeHandle, Encoding.ASCII.GetBytes(message), descriptors);

    public async ValueTask DisposeAsync()
    {
        _requests.Writer.TryComplete();
        await _pump.ConfigureAwait(false);
        _socket.Dispose();
    }

    private sealed record Request(string? Name, SafeHandle? Descriptor, TaskCompletionSource? Flushed);
}
