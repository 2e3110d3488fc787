// The memcached text server on a loopback port over a real memfd arena: replies, errors,
// split packets, pipelining, noreply, the write pause and many concurrent clients.
using System.Net.Sockets;
using System.Text;

namespace LuCache.Tests;

public sealed class ProtocolTests : IAsyncLifetime
{
    private ArenaBacking _backing = null!;
    private CacheEngine _engine = null!;
    private MemcachedTextServer _server = null!;

    private CacheEngineOptions Options { get; set; } = new() { MaxValueBytes = 64 * 1024, WritePauseTimeout = TimeSpan.FromSeconds(20) };

    public Task InitializeAsync()
    {
        _backing = ArenaBacking.Create("lucache-test", 4 << 20);
        _engine = CacheEngine.Format(_backing.Memory, Options);
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

    private Task<TextClient> Connect() => TextClient.ConnectAsync("127.0.0.1", _server.Port);

    private static async Task<string> Reply(TextClient client) =>
        await client.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));

    [Fact]
    public async Task SetGetGetsDeleteVersionStats_AnswerLikeMemcached()
    {
        using var c = await Connect();
        await c.SendAsync("set greeting 42 0 5\r\nhello\r\n");
        Assert.Equal("STORED", await Reply(c));
        await c.SendAsync("get greeting missing\r\n");
        Assert.Equal("VALUE greeting 42 5", await Reply(c));
        Assert.Equal("hello", await Reply(c));
        Assert.Equal("END", await Reply(c));
        await c.SendAsync("gets greeting\r\n");
        var parts = (await Reply(c)).Split(' ');
        Assert.Equal(5, parts.Length);
        Assert.True(ulong.Parse(parts[4]) > 0);
        Assert.Equal("hello", await Reply(c));
        Assert.Equal("END", await Reply(c));
        await c.SendAsync("delete greeting\r\ndelete greeting\r\nversion\r\n");
        Assert.Equal("DELETED", await Reply(c));
        Assert.Equal("NOT_FOUND", await Reply(c));
        Assert.StartsWith("VERSION ", await Reply(c));
        await c.SendAsync("stats\r\n");
        var stats = new List<string>();
        for (string line; (line = await Reply(c)) != "END";) stats.Add(line);
        Assert.Contains("STAT curr_items 0", stats);
        Assert.Contains(stats, s => s.StartsWith("STAT limit_maxbytes 4194304", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ACommandSplitAcrossManyPackets_IsReassembled()
    {
        using var c = await Connect();
        var bytes = Encoding.ASCII.GetBytes("set split 7 0 11\r\nhello world\r\nget split\r\n");
        foreach (var b in bytes)
        {
            await c.SendAsync(new[] { b });
            await Task.Delay(1);
        }
        Assert.Equal("STORED", await Reply(c));
        Assert.Equal("VALUE split 7 11", await Reply(c));
        Assert.Equal("hello world", await Reply(c));
        Assert.Equal("END", await Reply(c));
    }

    [Fact]
    public async Task PipelinedCommands_AreAnsweredInOrder()
    {
        using var c = await Connect();
        var sb = new StringBuilder();
        for (int i = 0; i < 200; i++) sb.Append($"set p{i} {i} 0 {i.ToString().Length}\r\n{i}\r\n");
        for (int i = 0; i < 200; i++) sb.Append($"get p{i}\r\n");
        await c.SendAsync(sb.ToString());
        for (int i = 0; i < 200; i++) Assert.Equal("STORED", await Reply(c));
        for (int i = 0; i < 200; i++)
        {
            Assert.Equal($"VALUE p{i} {i} {i.ToString().Length}", await Reply(c));
            Assert.Equal(i.ToString(), await Reply(c));
            Assert.Equal("END", await Reply(c));
        }
    }

    [Fact]
    public async Task AWrongByteCount_IsABadDataChunk_AndNothingIsStored()
    {
        using var c = await Connect();
        await c.SendAsync("set k 0 0 3\r\nabcdef\r\n");
        Assert.Equal("CLIENT_ERROR bad data chunk", await Reply(c));
        Assert.Equal("ERROR", await Reply(c)); // "ef" is read as a command, as memcached does
        await c.SendAsync("get k\r\n");
        Assert.Equal("END", await Reply(c));
        await c.SendAsync("set k 0 0 3\r\nabc\r\n");
        Assert.Equal("STORED", await Reply(c));
    }

    [Fact]
    public async Task BadCommandLines_GetErrors_AndTheConnectionCarriesOn()
    {
        using var c = await Connect();
        string longKey = new('k', 251);
        await c.SendAsync($"set {longKey} 0 0 5\r\nvalue\r\n");
        Assert.Equal("CLIENT_ERROR bad command line format", await Reply(c));
        await c.SendAsync($"get {longKey}\r\n");
        Assert.Equal("CLIENT_ERROR bad command line format", await Reply(c));
        await c.SendAsync("set k notanumber 0 1\r\nx\r\n");
        Assert.Equal("CLIENT_ERROR bad command line format", await Reply(c));
        await c.SendAsync("set k 0 0 -1\r\n");
        Assert.Equal("CLIENT_ERROR bad command line format", await Reply(c));
        await c.SendAsync("set k 0 0\r\n");
        Assert.Equal("CLIENT_ERROR bad command line format", await Reply(c));
        await c.SendAsync("bogus\r\n\r\nget\r\n");
        Assert.Equal("ERROR", await Reply(c));
        Assert.Equal("ERROR", await Reply(c));
        Assert.Equal("ERROR", await Reply(c));
        await c.SendAsync("delete a b c\r\n");
        Assert.StartsWith("CLIENT_ERROR bad command line format", await Reply(c));
        // A value over the item limit is refused and its data skipped without buffering it.
        await c.SendAsync($"set big 0 0 {200 * 1024}\r\n");
        Assert.Equal("SERVER_ERROR object too large for cache", await Reply(c));
        await c.SendAsync(new byte[200 * 1024]);
        await c.SendAsync("\r\nset k 0 0 2\r\nok\r\n");
        Assert.Equal("STORED", await Reply(c));
        Assert.Equal(1, _engine.GetStats().Items);
    }

    [Fact]
    public async Task NoReply_SuppressesTheReply_ButStores()
    {
        using var c = await Connect();
        await c.SendAsync("set q 1 0 3 noreply\r\nabc\r\ndelete nothing noreply\r\nget q\r\n");
        Assert.Equal("VALUE q 1 3", await Reply(c));
        Assert.Equal("abc", await Reply(c));
        Assert.Equal("END", await Reply(c));
    }

    [Fact]
    public async Task ALineLongerThanTheLimit_IsRefused_AndClosed()
    {
        using var c = await Connect();
        await c.SendAsync(new string('x', MemcachedTextServer.MaxLineLength + 100));
        Assert.Equal("CLIENT_ERROR line too long", await Reply(c));
        await Assert.ThrowsAsync<EndOfStreamException>(() => c.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Quit_ClosesTheConnection()
    {
        using var c = await Connect();
        await c.SendAsync("quit\r\n");
        await Assert.ThrowsAsync<EndOfStreamException>(() => c.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task AFullArena_AnswersServerErrorOutOfMemory()
    {
        using var c = await Connect();
        var value = new string('v', 60 * 1024);
        int stored = 0;
        while (true)
        {
            await c.SendAsync($"set f{stored} 0 0 {value.Length}\r\n{value}\r\n");
            string reply = await Reply(c);
            if (reply != "STORED")
            {
                Assert.Equal("SERVER_ERROR out of memory storing object", reply);
                break;
            }
            stored++;
        }
        Assert.InRange(stored, 60, 70);
        await c.SendAsync("delete f0\r\ndelete f1\r\n");
        Assert.Equal("DELETED", await Reply(c));
        Assert.Equal("DELETED", await Reply(c));
        await c.SendAsync($"set again 0 0 {value.Length}\r\n{value}\r\n");
        Assert.Equal("STORED", await Reply(c));
    }

    [Fact]
    public async Task PausedWrites_HoldSetsButServeGets_ThenComplete()
    {
        using var c = await Connect();
        using var reader = await Connect();
        await c.SendAsync("set k 0 0 3\r\nold\r\n");
        Assert.Equal("STORED", await Reply(c));
        _engine.PauseWrites();
        await c.SendAsync("set k 0 0 3\r\nnew\r\n");
        var pending = c.ReadLineAsync();
        await Task.Delay(300);
        Assert.False(pending.IsCompleted);
        await reader.SendAsync("get k\r\n");
        Assert.Equal("VALUE k 0 3", await Reply(reader));
        Assert.Equal("old", await Reply(reader));
        Assert.Equal("END", await Reply(reader));
        _engine.ResumeWrites();
        Assert.Equal("STORED", await pending.WaitAsync(TimeSpan.FromSeconds(10)));
        await reader.SendAsync("get k\r\n");
        Assert.Equal("VALUE k 0 3", await Reply(reader));
        Assert.Equal("new", await Reply(reader));
    }

    [Fact]
    public async Task ManyConcurrentClients_SeeTheirOwnWrites()
    {
        const int Clients = 24, Items = 150;
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(id => Task.Run(async () =>
        {
            using var c = await Connect();
            for (int i = 0; i < Items; i++)
            {
                string value = $"client{id}-item{i}-" + new string((char)('a' + id % 26), i % 97);
                await c.SendAsync($"set c{id}:{i} {id} 0 {value.Length}\r\n{value}\r\n");
                Assert.Equal("STORED", await Reply(c));
                if (i % 3 == 0)
                {
                    var found = await c.GetManyAsync([$"c{id}:{i}"]).WaitAsync(TimeSpan.FromSeconds(10));
                    Assert.Equal(value, Encoding.ASCII.GetString(found[$"c{id}:{i}"].Value));
                }
            }
        })));
        Assert.Equal(Clients * Items, _engine.GetStats().Items);
        using var check = await Connect();
        var all = await check.GetManyAsync(Enumerable.Range(0, 50).Select(i => $"c5:{i}").ToList());
        Assert.Equal(50, all.Count);
        Assert.All(all, kv => Assert.Equal(5u, kv.Value.Flags));
    }

    [Fact]
    public async Task AbruptDisconnectsMidCommand_DoNotHurtTheServer()
    {
        for (int i = 0; i < 20; i++)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync("127.0.0.1", _server.Port);
            await tcp.GetStream().WriteAsync(Encoding.ASCII.GetBytes($"set half{i} 0 0 100\r\nonly some"));
        }
        using var c = await Connect();
        await c.SendAsync("get half0\r\nset ok 0 0 1\r\n1\r\n");
        Assert.Equal("END", await Reply(c));
        Assert.Equal("STORED", await Reply(c));
    }
}

public sealed class PauseTimeoutProtocolTests
{
    [Fact]
    public async Task AWriteHeldPastThePauseTimeout_GetsServerError_AndTheConnectionCarriesOn()
    {
        using var backing = ArenaBacking.Create("lucache-test", 1 << 20);
        using var engine = CacheEngine.Format(backing.Memory, new CacheEngineOptions { WritePauseTimeout = TimeSpan.FromMilliseconds(200) });
        await using var server = new MemcachedTextServer(engine, 0);
        server.Start();
        using var c = await TextClient.ConnectAsync("127.0.0.1", server.Port);
        engine.PauseWrites();
        await c.SendAsync("set k 0 0 1\r\nx\r\ndelete k\r\nget k\r\n");
        Assert.StartsWith("SERVER_ERROR writes paused for a live update", await c.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.StartsWith("SERVER_ERROR writes paused for a live update", await c.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("END", await c.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        engine.ResumeWrites();
        await c.SendAsync("set k 0 0 1\r\nx\r\n");
        Assert.Equal("STORED", await c.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
