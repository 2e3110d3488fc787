// CacheProbe: the client that watches a cache through an outage. It sets one key, then gets it
// every interval, reconnecting whenever the server is away, and records the longest gap between
// two replies: across a live update that gap is the blackout a client sees, and hits after it
// show the data came back. Each request has a timeout, because a connection whose server
// vanished in a kexec may never be answered or reset. Used by `lucache probe` and by luvm's
// demo, which probes the guest's cache from the host.
using System.Diagnostics;
using System.Net.Sockets;

namespace LuCache;

/// <summary>What a probe saw so far. Gaps are between replies; times are since the probe started.</summary>
public sealed record ProbeResult(
    long Replies, long Hits, long Misses, long Connections,
    TimeSpan LongestGap, TimeSpan LongestGapStartedAt, TimeSpan Elapsed, TimeSpan? FirstReplyAt, TimeSpan? LastReplyAt)
{
    public string Describe() =>
        $"{Replies} replies ({Hits} hits, {Misses} misses) in {Elapsed.TotalSeconds:0.0} s; longest gap between replies " +
        $"{LongestGap.TotalMilliseconds:0.0} ms (from {LongestGapStartedAt.TotalSeconds:0.0} s); connections {Connections}";
}

public sealed class CacheProbe(string host, int port, TimeSpan interval, TimeSpan requestTimeout)
{
    public const string Key = "lucache:probe";

    private readonly Stopwatch clock = new();
    private readonly Lock gate = new();
    private long replies, hits, misses, connections;
    private TimeSpan? firstReply, lastReply;
    private TimeSpan longestGap, longestGapStartedAt;

    public CacheProbe(string host, int port) : this(host, port, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(1)) { }

    /// <summary>A consistent snapshot, safe to take while the probe runs.</summary>
    public ProbeResult Snapshot()
    {
        lock (gate)
        {
            return new ProbeResult(replies, hits, misses, connections, longestGap, longestGapStartedAt, clock.Elapsed, firstReply, lastReply);
        }
    }

    /// <summary>Probes until <paramref name="cancellationToken"/> is cancelled; returns the final result.</summary>
    public async Task<ProbeResult> RunAsync(CancellationToken cancellationToken)
    {
        clock.Start();
        bool setDone = false;
        TextClient? client = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            using var request = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            request.CancelAfter(requestTimeout);
            try
            {
                if (client is null)
                {
                    client = await TextClient.ConnectAsync(host, port, request.Token).ConfigureAwait(false);
                    lock (gate) connections++;
                }
                if (!setDone)
                {
                    await client.SendAsync($"set {Key} 0 0 5\r\nprobe\r\n", request.Token).ConfigureAwait(false);
                    setDone = await client.ReadLineAsync(request.Token).ConfigureAwait(false) == "STORED";
                }
                var found = await client.GetManyAsync([Key], request.Token).ConfigureAwait(false);
                Record(found.ContainsKey(Key));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is IOException or SocketException or InvalidDataException or OperationCanceledException)
            {
                // Server away, connection reset, or no answer within the request timeout: start over.
                client?.Dispose();
                client = null;
            }
            try
            {
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        client?.Dispose();
        clock.Stop();
        return Snapshot();
    }

    private void Record(bool hit)
    {
        var now = clock.Elapsed;
        lock (gate)
        {
            if (hit) hits++; else misses++;
            replies++;
            if (lastReply is { } last && now - last > longestGap)
            {
                longestGap = now - last;
                longestGapStartedAt = last;
            }
            firstReply ??= now;
            lastReply = now;
        }
    }
}
