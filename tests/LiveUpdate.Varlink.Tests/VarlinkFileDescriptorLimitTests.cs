// VarlinkFileDescriptorLimitTests: the kernel passes at most 253 descriptors (SCM_MAX_FD) in one
// sendmsg (docs/protocol.md §1). Over a real server and client on a Unix socket: a call and a
// reply carrying exactly 253 memfds go through and every one arrives usable (its own contents
// read back through the received descriptor); 254 is refused on the sending side with
// VarlinkTooManyFileDescriptorsException naming the limit — a call before a byte is written,
// a reply before it counts as the answer, which the server then answers InternalError with
// that message — and the connection goes on answering calls afterwards.
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using LiveUpdate.Kernel;

namespace LiveUpdate.Varlink.Tests;

public sealed class VarlinkFileDescriptorLimitTests : IAsyncLifetime
{
    private const int Limit = 253;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private const string Description = """
        # Descriptor-limit test interface.
        interface io.liveupdate.FdLimit

        # Reads every memfd of the call; answers how many and their contents, joined by commas.
        method Take() -> (count: int, contents: string)
        # Answers with n memfds, memfd i holding the text "i".
        method Give(n: int) -> (count: int)
        method Echo(text: string) -> (text: string)
        """;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"lu-fdlimit-{Guid.NewGuid():N}");
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<string> _log = new();
    private readonly Task _running;

    public VarlinkFileDescriptorLimitTests()
    {
        var server = new VarlinkServer(new VarlinkServiceInfo("LiveUpdate", "fd limit test", "1", "https://example.invalid"),
            new VarlinkServerOptions { Log = (message, _) => _log.Enqueue(message) });
        server.AddInterface(new VarlinkInterface(Description)
            .AddMethod("Take", call =>
            {
                var contents = new List<string>();
                for (int i = 0; i < call.FileDescriptors.Count; i++)
                {
                    using var memfd = call.FileDescriptors.TakeMemFd(i);
                    contents.Add(Read(memfd));
                }
                return call.ReplyAsync(new JsonObject { ["count"] = contents.Count, ["contents"] = string.Join(',', contents) });
            }, new VarlinkMethodOptions { MaxFileDescriptors = Limit })
            .AddMethod("Give", async call =>
            {
                int n = (int?)call.Parameters["n"] ?? throw VarlinkErrorException.InvalidParameter("n");
                var memfds = Numbered(n);
                try { await call.ReplyAsync(new JsonObject { ["count"] = n }, memfds); }
                finally { foreach (var memfd in memfds) memfd.Dispose(); }
            })
            .AddMethod("Echo", call => call.ReplyAsync(new JsonObject { ["text"] = (string?)call.Parameters["text"] })));
        _running = server.RunAsync(SocketPath, _stop.Token);
    }

    private string SocketPath => Path.Combine(_directory, "fdlimit.sock");

    [Fact]
    public async Task A_call_carrying_253_descriptors_arrives_with_every_one_usable()
    {
        await using var client = await VarlinkClient.ConnectAsync(SocketPath).WaitAsync(Timeout);
        var memfds = Numbered(Limit);
        try
        {
            using var reply = await client.CallAsync("io.liveupdate.FdLimit.Take", fileDescriptors: memfds).WaitAsync(Timeout);
            Assert.Equal(Limit, (int?)reply.Parameters["count"]);
            Assert.Equal(string.Join(',', Enumerable.Range(0, Limit)), (string?)reply.Parameters["contents"]);
        }
        finally { foreach (var memfd in memfds) memfd.Dispose(); }
    }

    [Fact]
    public async Task A_reply_carrying_253_descriptors_arrives_with_every_one_usable()
    {
        await using var client = await VarlinkClient.ConnectAsync(SocketPath).WaitAsync(Timeout);
        using var reply = await client.CallAsync("io.liveupdate.FdLimit.Give", new JsonObject { ["n"] = Limit }).WaitAsync(Timeout);
        Assert.Equal(Limit, reply.FileDescriptors.Count);
        for (int i = 0; i < Limit; i++)
        {
            using var memfd = reply.FileDescriptors.TakeMemFd(i);
            Assert.Equal(i.ToString(), Read(memfd));
        }
    }

    [Fact]
    public async Task A_call_with_254_descriptors_is_refused_before_sending_naming_the_limit_and_the_connection_carries_on()
    {
        await using var client = await VarlinkClient.ConnectAsync(SocketPath).WaitAsync(Timeout);
        var memfds = Numbered(Limit + 1);
        try
        {
            var refused = await Assert.ThrowsAsync<VarlinkTooManyFileDescriptorsException>(
                () => client.CallAsync("io.liveupdate.FdLimit.Take", fileDescriptors: memfds).WaitAsync(Timeout));
            Assert.Equal(Limit + 1, refused.Count);
            Assert.Equal(Limit, refused.Limit);
            Assert.Contains("at most 253 (SCM_MAX_FD)", refused.Message);
            Assert.False(client.Connection.IsClosed);
            // The descriptors are still the caller's and open.
            Assert.Equal((Limit).ToString(), Read(memfds[Limit]));

            // Nothing of the refused call reached the server: the next call gets its own reply,
            // and a call within the limit on the same connection still carries its descriptors.
            using (var echo = await client.CallAsync("io.liveupdate.FdLimit.Echo", new JsonObject { ["text"] = "after" }).WaitAsync(Timeout))
                Assert.Equal("after", (string?)echo.Parameters["text"]);
            using var within = await client.CallAsync("io.liveupdate.FdLimit.Take", fileDescriptors: memfds[..Limit]).WaitAsync(Timeout);
            Assert.Equal(Limit, (int?)within.Parameters["count"]);
        }
        finally { foreach (var memfd in memfds) memfd.Dispose(); }
    }

    [Fact]
    public async Task A_reply_with_254_descriptors_is_answered_InternalError_naming_the_limit_and_the_connection_carries_on()
    {
        await using var client = await VarlinkClient.ConnectAsync(SocketPath).WaitAsync(Timeout);
        var failure = await Assert.ThrowsAsync<VarlinkErrorException>(
            () => client.CallAsync("io.liveupdate.FdLimit.Give", new JsonObject { ["n"] = Limit + 1 }).WaitAsync(Timeout));
        Assert.Equal(VarlinkServiceErrors.InternalError, failure.ErrorName);
        Assert.Contains("254 file descriptors cannot go in one Varlink message", (string?)failure.Parameters["message"]);
        Assert.Contains("at most 253 (SCM_MAX_FD)", (string?)failure.Parameters["message"]);
        Assert.Contains(_log, line => line.Contains("Give") && line.Contains("at most 253"));

        Assert.False(client.Connection.IsClosed);
        using (var echo = await client.CallAsync("io.liveupdate.FdLimit.Echo", new JsonObject { ["text"] = "after" }).WaitAsync(Timeout))
            Assert.Equal("after", (string?)echo.Parameters["text"]);
        using var within = await client.CallAsync("io.liveupdate.FdLimit.Give", new JsonObject { ["n"] = Limit }).WaitAsync(Timeout);
        Assert.Equal(Limit, within.FileDescriptors.Count);
    }

    private static MemFd[] Numbered(int count)
    {
        var memfds = new MemFd[count];
        for (int i = 0; i < count; i++)
        {
            memfds[i] = MemFd.Create($"fd-{i}");
            memfds[i].Write(Encoding.ASCII.GetBytes(i.ToString()), 0);
        }
        return memfds;
    }

    private static string Read(MemFd memfd)
    {
        var buffer = new byte[(int)memfd.Size];
        int read = memfd.Read(buffer, 0);
        return Encoding.ASCII.GetString(buffer, 0, read);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _stop.Cancel();
        try { await _running.WaitAsync(Timeout); } catch (OperationCanceledException) { }
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
