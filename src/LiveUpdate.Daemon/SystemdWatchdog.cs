// SystemdNotifier: sd_notify(3) without libsystemd — a datagram to $NOTIFY_SOCKET with
// READY=1, STATUS=…, WATCHDOG=1. Does nothing when luod was not started by systemd
// (Microsoft.Extensions.Hosting.Systemd is not available from this project's registry).
using System.Net.Sockets;
using System.Text;

namespace LiveUpdate.Daemon;

public sealed class SystemdNotifier
{
    private readonly string? _socketPath = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");

    public bool Enabled => !string.IsNullOrEmpty(_socketPath);

    /// <summary>The watchdog interval systemd asked for (WATCHDOG_USEC), or null.</summary>
    public TimeSpan? WatchdogInterval =>
        long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), out long usec) && usec > 0
            ? TimeSpan.FromMicroseconds(usec)
            : null;

    public async Task NotifyAsync(string state, CancellationToken cancellationToken = default)
    {
        if (!Enabled) return;
        string path = _socketPath!.StartsWith('@') ? "\0" + _socketPath[1..] : _socketPath;
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        await socket.SendToAsync(Encoding.UTF8.GetBytes(state), SocketFlags.None, new UnixDomainSocketEndPoint(path), cancellationToken);
    }
}
