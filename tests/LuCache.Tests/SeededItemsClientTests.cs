// SeededItemsClientTests: the seeded load and verify (`lucache load/verify`, luvm's host-side client
// of criu-memcached) against a real in-process lucache server: every item stored and read back,
// the bytes counted whether or not a progress callback is given, a different seed found missing.
namespace LuCache.Tests;

public sealed class SeededItemsClientTests : IAsyncLifetime
{
    private ArenaBacking _backing = null!;
    private CacheEngine _engine = null!;
    private MemcachedTextServer _server = null!;

    public Task InitializeAsync()
    {
        _backing = ArenaBacking.Create("lucache-seeded-test", 16 << 20);
        _engine = CacheEngine.Format(_backing.Memory, new CacheEngineOptions { MaxValueBytes = 64 * 1024 });
        _server = new MemcachedTextServer(_engine, 0);
        _server.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _engine.Dispose();
        _backing.Dispose();
    }

    [Fact]
    public async Task The_seeded_client_loads_and_verifies_every_item_and_counts_what_it_sent()
    {
        long reportedItems = 0, reportedBytes = 0;
        var load = await SeededItemsClient.LoadAsync("127.0.0.1", _server.Port, 1, 9, 2, progress: (i, b) => { Interlocked.Exchange(ref reportedItems, i); Interlocked.Exchange(ref reportedBytes, b); });
        Assert.Equal(0, load.Failures);
        Assert.Equal(ItemGenerator.CountFor(1, 9), load.Items);
        Assert.True(load.ValueBytes >= 1 << 20, $"{load.ValueBytes} bytes sent for 1 MiB");
        var quiet = await SeededItemsClient.LoadAsync("127.0.0.1", _server.Port, 1, 9, 2);
        Assert.Equal(load.ValueBytes, quiet.ValueBytes); // counted without a progress callback too
        var verify = await SeededItemsClient.VerifyAsync("127.0.0.1", _server.Port, 1, 9, 2);
        Assert.True(verify.AllThere, verify.Describe());
        var other = await SeededItemsClient.VerifyAsync("127.0.0.1", _server.Port, 1, 10, 2);
        Assert.Equal(other.Count, other.Missing);
    }
}
