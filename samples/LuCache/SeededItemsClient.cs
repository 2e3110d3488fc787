// SeededItemsClient: the client side of `lucache load` and `lucache verify` — writes the seeded items
// (ItemGenerator) into any memcached-text-protocol server over C pipelined connections, and reads
// them all back with multi-key gets, comparing every byte and flag. luvm uses it too, from the host
// through QEMU's port forward, against lucache and against Debian's memcached (criu-memcached).
using System.Diagnostics;

namespace LuCache;

public sealed record SeededLoadResult(int Items, long ValueBytes, long Failures, TimeSpan Elapsed)
{
    public string Describe() =>
        $"load: done: {Items} items, {ValueBytes / 1048576.0:0.0} MiB of values in {Elapsed.TotalSeconds:0.00} s = {ValueBytes / 1048576.0 / Elapsed.TotalSeconds:0.0} MiB/s, " +
        $"{Items / Elapsed.TotalSeconds:0} sets/s, {Failures} failed";
}

public sealed record SeededVerifyResult(int Count, long Verified, long Missing, long Wrong, TimeSpan Elapsed)
{
    public bool AllThere => Verified == Count && Missing == 0 && Wrong == 0;

    public string Describe() => $"verify: {Count} items: {Verified} verified, {Missing} missing, {Wrong} wrong ({Elapsed.TotalSeconds:0.00} s)";
}

public static class SeededItemsClient
{
    /// <summary>Sets every item of <paramref name="mib"/> MiB of seed <paramref name="seed"/>; <paramref name="progress"/> gets (items, bytes) so far.</summary>
    public static async Task<SeededLoadResult> LoadAsync(string host, int port, long mib, ulong seed, int connections,
        TextWriter? errors = null, Action<long, long>? progress = null, CancellationToken cancellationToken = default)
    {
        int count = ItemGenerator.CountFor(mib, seed);
        long sent = 0, items = 0, failures = 0;
        var stopwatch = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, connections).Select(c => Task.Run(async () =>
        {
            using var client = await TextClient.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            const int Batch = 32;
            var request = new MemoryStream();
            for (int first = c; first < count; first += Batch * connections)
            {
                request.SetLength(0);
                int inBatch = 0;
                long bytes = 0;
                for (int i = first; i < count && inBatch < Batch; i += connections, inBatch++)
                {
                    var value = ItemGenerator.Value(seed, i);
                    TextClient.AppendSet(request, ItemGenerator.Key(seed, i), ItemGenerator.Flags(seed, i), value);
                    bytes += value.Length;
                }
                await client.SendAsync(request.GetBuffer().AsMemory(0, (int)request.Length), cancellationToken).ConfigureAwait(false);
                for (int r = 0; r < inBatch; r++)
                {
                    string reply = await client.ReadLineAsync(cancellationToken).ConfigureAwait(false);
                    if (reply != "STORED" && Interlocked.Increment(ref failures) <= 5) errors?.WriteLine($"load: set failed: {reply}");
                }
                long itemsSoFar = Interlocked.Add(ref items, inBatch), bytesSoFar = Interlocked.Add(ref sent, bytes);
                progress?.Invoke(itemsSoFar, bytesSoFar);
            }
        }, cancellationToken)).ToArray();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        return new SeededLoadResult(count, sent, failures, stopwatch.Elapsed);
    }

    /// <summary>Reads every item back and compares flags and bytes.</summary>
    public static async Task<SeededVerifyResult> VerifyAsync(string host, int port, long mib, ulong seed, int connections,
        TextWriter? errors = null, CancellationToken cancellationToken = default)
    {
        int count = ItemGenerator.CountFor(mib, seed);
        long verified = 0, missing = 0, wrong = 0;
        var stopwatch = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, connections).Select(c => Task.Run(async () =>
        {
            using var client = await TextClient.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            const int Batch = 16;
            var indices = new List<int>(Batch);
            for (int first = c; first < count; first += Batch * connections)
            {
                indices.Clear();
                for (int i = first; i < count && indices.Count < Batch; i += connections) indices.Add(i);
                var keys = indices.Select(i => $"lc:{seed}:{i}").ToList();
                var found = await client.GetManyAsync(keys, cancellationToken).ConfigureAwait(false);
                for (int k = 0; k < keys.Count; k++)
                {
                    if (!found.TryGetValue(keys[k], out var item))
                    {
                        if (Interlocked.Increment(ref missing) <= 5) errors?.WriteLine($"verify: missing {keys[k]}");
                        continue;
                    }
                    if (item.Flags != ItemGenerator.Flags(seed, indices[k]) || !item.Value.AsSpan().SequenceEqual(ItemGenerator.Value(seed, indices[k])))
                    {
                        if (Interlocked.Increment(ref wrong) <= 5) errors?.WriteLine($"verify: wrong bytes or flags for {keys[k]}");
                        continue;
                    }
                    Interlocked.Increment(ref verified);
                }
            }
        }, cancellationToken)).ToArray();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        return new SeededVerifyResult(count, verified, missing, wrong, stopwatch.Elapsed);
    }
}
