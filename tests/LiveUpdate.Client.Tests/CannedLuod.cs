// CannedLuod: a Varlink server speaking the real io.liveupdate interface text with canned
// behaviour — every call answers with the error a test sets (built by luod's own
// LuodErrors), and ListSessions can be told to hang so a client call can be cancelled.
using LiveUpdate.Daemon;
using LiveUpdate.Varlink;

namespace LiveUpdate.Client.Tests;

internal sealed class CannedLuod : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;
    private readonly string _directory;

    public CannedLuod()
    {
        _directory = Path.Combine(Path.GetTempPath(), $"luod-canned-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_directory);
        SocketPath = Path.Combine(_directory, "io.liveupdate");
        var server = new VarlinkServer(new VarlinkServiceInfo("LiveUpdate", "luod-canned", "test", "https://example.invalid/luod"));
        server.AddInterface(new VarlinkInterface(LiveUpdateInterface.Description)
            .AddMethod("GetStatus", _ => throw Error ?? LuodErrors.PermissionDenied("no canned error set"))
            .AddMethod("ListSessions", HangAsync));
        _serving = server.RunAsync(SocketPath, _stop.Token);
    }

    public string SocketPath { get; }

    /// <summary>The error every GetStatus call answers with.</summary>
    public VarlinkErrorException? Error { get; set; }

    /// <summary>Completed when a ListSessions call has arrived (and hangs).</summary>
    public TaskCompletionSource HangStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _serving.WaitAsync(InProcessLuod.Timeout);
        _stop.Dispose();
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { }
    }

    private async Task HangAsync(VarlinkCallContext call)
    {
        HangStarted.TrySetResult();
        await Task.Delay(System.Threading.Timeout.Infinite, call.CancellationToken);
    }
}
