// MetricsListener: luod's metrics endpoint — a small HTTP/1.1 responder on a TCP or Unix socket
// (MetricsListen) that answers GET /metrics with the OpenMetrics text of luod's state at that
// moment (LiveUpdate.Metrics' families; Prometheus scrapes it, so does curl --unix-socket). One
// responder for both socket kinds: a request, one response, the connection closed. Anything else
// gets 404 (other paths) or 405 (other methods); a client that sends no request within a few
// seconds, or more than 8 KiB of header, is dropped.
using System.Net;
using System.Net.Sockets;
using System.Text;
using LiveUpdate.Metrics;
using Microsoft.Extensions.Logging;

namespace LiveUpdate.Daemon;

public sealed class MetricsListener : IDisposable
{
    public const string Path = "/metrics";
    private const int MaxRequestBytes = 8192;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    private readonly Socket _socket;
    private readonly Func<MetricsSnapshot> _snapshot;
    private readonly ILogger _log;

    private readonly string? _unixPath;

    private MetricsListener(Socket socket, Func<MetricsSnapshot> snapshot, ILogger log, string? unixPath) =>
        (_socket, _snapshot, _log, _unixPath) = (socket, snapshot, log, unixPath);

    /// <summary>Where it listens.</summary>
    public EndPoint LocalEndPoint => _socket.LocalEndPoint!;

    /// <summary>Binds <paramref name="address"/> (a stale Unix socket file is replaced; the new one is mode 0666).</summary>
    public static MetricsListener Bind(EndPoint address, Func<MetricsSnapshot> snapshot, ILogger log)
    {
        var socket = address is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (address is UnixDomainSocketEndPoint unix)
            {
                string path = unix.ToString();
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
                if (File.Exists(path)) File.Delete(path);
            }
            else
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(address);
            if (address is UnixDomainSocketEndPoint bound && !OperatingSystem.IsWindows())
                File.SetUnixFileMode(bound.ToString(), (UnixFileMode)Convert.ToInt32("666", 8));
            socket.Listen(16);
            return new MetricsListener(socket, snapshot, log, (address as UnixDomainSocketEndPoint)?.ToString());
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var client = await _socket.AcceptAsync(cancellationToken);
                _ = Task.Run(() => ServeAsync(client, cancellationToken), cancellationToken);
            }
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
    }

    private async Task ServeAsync(Socket client, CancellationToken stopping)
    {
        using var _ = client;
        await using var stream = new NetworkStream(client, ownsSocket: false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(RequestTimeout);
        try
        {
            string? requestLine = await ReadRequestLineAsync(stream, timeout.Token);
            if (requestLine is null) return;
            string[] parts = requestLine.Split(' ');
            if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
            {
                await RespondAsync(stream, 400, "Bad Request", "text/plain; charset=utf-8", "luod: not an HTTP/1.x request line\n"u8.ToArray(), timeout.Token);
                return;
            }
            string target = parts[1].Split('?', 2)[0];
            if (target != Path)
                await RespondAsync(stream, 404, "Not Found", "text/plain; charset=utf-8", "luod serves its metrics at /metrics only\n"u8.ToArray(), timeout.Token);
            else if (parts[0] != "GET")
                await RespondAsync(stream, 405, "Method Not Allowed", "text/plain; charset=utf-8", "luod: GET /metrics\n"u8.ToArray(), timeout.Token, "Allow: GET\r\n");
            else
            {
                using var body = new MemoryStream();
                await LuodMetricFamilies.WriteAsync(_snapshot(), body, timeout.Token);
                await RespondAsync(stream, 200, "OK", LuodMetricFamilies.ContentType, body.ToArray(), timeout.Token);
            }
        }
        catch (Exception error) when (error is IOException or SocketException or OperationCanceledException)
        {
            // The scraper went away or never spoke: nothing to answer.
        }
        catch (Exception error)
        {
            // A metrics failure must never take luod (and the sessions it holds) down.
            _log.LogError("luod: serving /metrics failed: {Message}", error.Message);
        }
    }

    /// <summary>The request line, after reading the header up to its blank line (null: closed or oversized).</summary>
    private static async Task<string?> ReadRequestLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxRequestBytes];
        int length = 0;
        while (length < buffer.Length)
        {
            int read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken);
            if (read == 0) return null;
            length += read;
            int end = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8);
            if (end < 0) end = buffer.AsSpan(0, length).IndexOf("\n\n"u8);
            if (end >= 0)
            {
                int lineEnd = buffer.AsSpan(0, length).IndexOf((byte)'\n');
                return Encoding.ASCII.GetString(buffer, 0, lineEnd).TrimEnd('\r');
            }
        }
        return null;
    }

    private static async Task RespondAsync(Stream stream, int status, string reason, string contentType, byte[] body, CancellationToken cancellationToken, string extraHeaders = "")
    {
        string head = $"HTTP/1.1 {status} {reason}\r\nContent-Type: {contentType}\r\nContent-Length: {body.Length}\r\n{extraHeaders}Connection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancellationToken);
        await stream.WriteAsync(body, cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    public void Dispose()
    {
        _socket.Dispose();
        if (_unixPath is not null)
            try { File.Delete(_unixPath); } catch (IOException) { }
    }
}
