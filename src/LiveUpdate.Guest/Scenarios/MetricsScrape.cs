// MetricsScrape: GET /metrics from luod's metrics listener inside the guest, as a scraper sends
// it (one HTTP/1.1 request, Connection: close), returning the body of a 200 answer.
using System.Net.Sockets;
using System.Text;

namespace LiveUpdate.Guest.Scenarios;

public static class MetricsScrape
{
    public static async Task<string> GetAsync(string host, int port)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(host, port);
        await using var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /metrics HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string response = await reader.ReadToEndAsync();
        int split = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (split < 0 || !response.StartsWith("HTTP/1.1 200 ", StringComparison.Ordinal))
            throw new InvalidOperationException($"GET /metrics from {host}:{port} did not answer 200: {response[..Math.Min(200, response.Length)]}");
        return response[(split + 4)..];
    }
}
