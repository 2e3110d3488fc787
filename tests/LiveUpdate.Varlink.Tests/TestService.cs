// TestService: a Varlink service on a temporary socket path for the server and client
// tests — the io.liveupdate.Test interface with methods that echo, stream, take and give
// memfds, fail in each way a handler can, and block until released — plus a log of what
// the server reported.
using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using LiveUpdate.Kernel;

namespace LiveUpdate.Varlink.Tests;

internal sealed class TestService : IAsyncDisposable
{
    public const string Description = """
        # A test interface.
        interface io.liveupdate.Test

        method Echo(text: string) -> (text: string)
        method Peer() -> (pid: int, uid: int, gid: int)
        # Takes one memfd, answers its size and sends back a new memfd holding "reply".
        method SwapMemfd() -> (size: int)
        method Count(n: int) -> (i: int)
        method Fail(kind: string) -> ()
        method Block() -> ()
        method Notice(text: string) -> ()
        method Unimplemented() -> ()
        error Broken (reason: string)
        """;

    private readonly CancellationTokenSource _stop = new();

    private TestService(string directory, string socketPath, VarlinkServer server, ConcurrentQueue<string> log)
    {
        Log = log;
        Directory = directory;
        SocketPath = socketPath;
        Server = server;
        Running = server.RunAsync(socketPath, _stop.Token);
    }

    public string Directory { get; }
    public string SocketPath { get; }
    public VarlinkServer Server { get; }
    public Task Running { get; }
    /// <summary>What the server reported through VarlinkServerOptions.Log.</summary>
    public ConcurrentQueue<string> Log { get; }
    public ConcurrentQueue<string> Notices { get; } = new();
    public SemaphoreSlim NoticeArrived { get; } = new(0);
    public TaskCompletionSource BlockEntered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource ReleaseBlock { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource<bool> BlockObservedCancellation { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static TestService Start(VarlinkServerOptions? options = null)
    {
        string directory = Path.Combine(Path.GetTempPath(), $"lu-vl-{Guid.NewGuid():N}");
        string socketPath = Path.Combine(directory, "run", "test.sock");
        var log = new ConcurrentQueue<string>();
        options = (options ?? new VarlinkServerOptions()) with { Log = (message, _) => log.Enqueue(message) };
        var server = new VarlinkServer(new VarlinkServiceInfo("LiveUpdate", "test service", "1.2.3", "https://example.invalid/liveupdate"), options);
        TestService? service = null;
        var definition = new VarlinkInterface(Description)
            .AddMethod("Echo", call =>
            {
                if (call.Parameters["text"] is not JsonValue text || !text.TryGetValue(out string? value))
                    throw VarlinkErrorException.InvalidParameter("text");
                return call.ReplyAsync(new JsonObject { ["text"] = value });
            })
            .AddMethod("Peer", call => call.ReplyAsync(new JsonObject
            {
                ["pid"] = call.Peer.ProcessId,
                ["uid"] = call.Peer.UserId,
                ["gid"] = call.Peer.GroupId,
            }))
            .AddMethod("SwapMemfd", async call =>
            {
                using var received = call.FileDescriptors.TakeMemFd(0);
                using var reply = MemFd.Create("reply");
                reply.Write("reply"u8, 0);
                await call.ReplyAsync(new JsonObject { ["size"] = received.Size }, [reply]);
            }, new VarlinkMethodOptions { MaxFileDescriptors = 1 })
            .AddMethod("Count", async call =>
            {
                int n = (int?)call.Parameters["n"] ?? throw VarlinkErrorException.InvalidParameter("n");
                for (int i = 0; i < n; i++)
                {
                    using var memfd = MemFd.Create($"count-{i}");
                    memfd.SetSize(i);
                    var parameters = new JsonObject { ["i"] = i };
                    if (i < n - 1)
                        await call.NotifyAsync(parameters, [memfd]);
                    else
                        await call.ReplyAsync(parameters, [memfd]);
                }
            }, new VarlinkMethodOptions { RequiresMore = true })
            .AddMethod("Fail", call => (string?)call.Parameters["kind"] switch
            {
                "error" => throw new VarlinkErrorException("io.liveupdate.Test.Broken", new JsonObject { ["reason"] = "on purpose" }),
                "exception" => throw new InvalidOperationException("the handler crashed"),
                "silent" => Task.CompletedTask,
                _ => throw VarlinkErrorException.InvalidParameter("kind"),
            })
            .AddMethod("Block", async call =>
            {
                service!.BlockEntered.TrySetResult();
                var released = service.ReleaseBlock.Task;
                var cancelled = Task.Delay(Timeout.Infinite, call.CancellationToken);
                if (await Task.WhenAny(released, cancelled) == cancelled)
                {
                    service.BlockObservedCancellation.TrySetResult(true);
                    await call.ReplyErrorAsync("io.liveupdate.Test.Broken", new JsonObject { ["reason"] = "shutting down" });
                    return;
                }
                await call.ReplyAsync();
            })
            .AddMethod("Notice", call =>
            {
                service!.Notices.Enqueue((string?)call.Parameters["text"] ?? "");
                service.NoticeArrived.Release();
                return call.ReplyAsync(new JsonObject { ["ignored"] = "oneway replies are dropped" });
            });
        server.AddInterface(definition);
        service = new TestService(directory, socketPath, server, log);
        return service;
    }

    public Task<VarlinkClient> ConnectAsync() => VarlinkClient.ConnectAsync(SocketPath);

    public async Task StopAsync()
    {
        _stop.Cancel();
        await Running.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync()
    {
        ReleaseBlock.TrySetResult();
        try { await StopAsync(); } catch (OperationCanceledException) { }
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
