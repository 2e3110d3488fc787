// LocalCacheRequests: one request at a time to the cache serving on this guest's 127.0.0.1 (memcached
// or lucache, text protocol), for scenarios that wait on it: is it listening, a key's value (the
// host signals the guest through keys), its stats. Null or "no reply" when it does not answer in 5 s.
using System.Net.Sockets;
using System.Text;
using LiveUpdate.GuestContract;

namespace LiveUpdate.Guest.Scenarios;

public static class LocalCacheRequests
{
    /// <summary>The value of <paramref name="key"/> in the cache, or null when it is not there or the cache does not answer.</summary>
    public static async Task<string?> GetAsync(string key, int port = CriuWays.Port)
    {
        string? reply = await RequestAsync($"get {key}\r\n", "END\r\n", port);
        if (reply is null || !reply.StartsWith("VALUE ", StringComparison.Ordinal)) return null;
        int start = reply.IndexOf('\n') + 1;
        return reply[start..reply.IndexOf('\r', start)];
    }

    /// <summary>memcached's item count and bytes (stats), or lucache's.</summary>
    public static async Task<string> StatsAsync(int port = CriuWays.Port)
    {
        string? reply = await RequestAsync("stats\r\n", "END\r\n", port);
        if (reply is null) return "stats: no reply";
        var wanted = new[] { "curr_items", "bytes", "evictions", "limit_maxbytes", "items", "generation" };
        var stats = reply.Split("\r\n").Select(l => l.Split(' ')).Where(p => p.Length == 3 && p[0] == "STAT" && wanted.Contains(p[1])).Select(p => $"{p[1]} {p[2]}");
        return "stats: " + string.Join(", ", stats);
    }

    private static async Task<string?> RequestAsync(string request, string terminator, int port)
    {
        try
        {
            using var tcp = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await tcp.ConnectAsync("127.0.0.1", port, timeout.Token);
            var stream = tcp.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request), timeout.Token);
            var buffer = new byte[4096];
            var reply = new StringBuilder();
            while (!reply.ToString().EndsWith(terminator, StringComparison.Ordinal))
            {
                int read = await stream.ReadAsync(buffer, timeout.Token);
                if (read == 0) return null;
                reply.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
            return reply.ToString();
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return null;
        }
    }

    public static async Task<bool> AcceptsAsync(int port = CriuWays.Port) => await RequestAsync("version\r\n", "\r\n", port) is not null;
}
