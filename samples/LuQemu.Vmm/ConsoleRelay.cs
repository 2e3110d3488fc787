// ConsoleRelay: the VM's serial console, which QEMU serves on a Unix socket, copied line by line
// into a log file (appended, so the lines of both kernels' QEMUs of one boot follow each other)
// and, optionally, to our stdout. luqemu connects before the vCPUs run (QEMU starts with -S), so
// no line of the guest is lost.
using System.Net.Sockets;
using System.Text;

namespace LuQemu;

public sealed class ConsoleRelay : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Task _copy;

    private ConsoleRelay(Socket socket, string logPath, bool echo)
    {
        _socket = socket;
        _copy = Task.Run(() => CopyAsync(logPath, echo));
    }

    public static async Task<ConsoleRelay> ConnectAsync(string socketPath, string logPath, bool echo, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
                return new ConsoleRelay(socket, logPath, echo);
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                socket.Dispose();
                await Task.Delay(10, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task CopyAsync(string logPath, bool echo)
    {
        await using var log = new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        var buffer = new byte[16 * 1024];
        var pending = new StringBuilder();
        try
        {
            while (true)
            {
                int read = await _socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
                if (read == 0) break;
                await log.WriteAsync(buffer.AsMemory(0, read)).ConfigureAwait(false);
                await log.FlushAsync().ConfigureAwait(false);
                if (!echo) continue;
                pending.Append(Encoding.UTF8.GetString(buffer, 0, read).Replace("\r", ""));
                string text = pending.ToString();
                int end = text.LastIndexOf('\n');
                if (end < 0) continue;
                foreach (var line in text[..end].Split('\n')) Console.WriteLine($"vm: {line}");
                pending.Remove(0, end + 1);
            }
        }
        catch (Exception error) when (error is SocketException or ObjectDisposedException) { }
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        try { await _copy.ConfigureAwait(false); } catch { }
    }
}
