// MetricsListenAddress: luod's MetricsListen option read as a socket address — "HOST:PORT" with an
// IPv4 or a bracketed IPv6 literal ("127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464") or
// "unix:/path" — refused with what to write instead. No host names: luod resolves nothing at start.
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace LiveUpdate.Daemon;

public static class MetricsListenAddress
{
    public const string UnixPrefix = "unix:";

    /// <summary>The address to bind; <see cref="ArgumentException"/> naming the problem and the accepted forms.</summary>
    public static EndPoint Parse(string text)
    {
        const string Forms = "write 127.0.0.1:9464, [::1]:9464, 0.0.0.0:9464 or unix:/run/luod/metrics.sock";
        if (text.StartsWith(UnixPrefix, StringComparison.Ordinal))
        {
            string path = text[UnixPrefix.Length..];
            if (!Path.IsPathFullyQualified(path))
                throw new ArgumentException($"MetricsListen '{text}': the Unix socket path must be absolute; {Forms}");
            return new UnixDomainSocketEndPoint(path);
        }
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !ushort.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out ushort port) || port == 0)
            throw new ArgumentException($"MetricsListen '{text}' has no port (1-65535) after the last ':'; {Forms}");
        string host = text[..colon];
        bool bracketed = host.StartsWith('[') && host.EndsWith(']');
        if (bracketed) host = host[1..^1];
        if (!IPAddress.TryParse(host, out var address) || (address.AddressFamily == AddressFamily.InterNetworkV6) != bracketed)
            throw new ArgumentException($"MetricsListen '{text}': '{host}' is not an IPv4 address or a bracketed IPv6 address (luod resolves no host names); {Forms}");
        return new IPEndPoint(address, port);
    }
}
