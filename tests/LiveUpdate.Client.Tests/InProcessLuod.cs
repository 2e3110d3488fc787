// InProcessLuod: the real luod service (SessionRegistry + LiveUpdateInterface) served on a
// Unix socket in a temporary directory, over the fake /dev/liveupdate of LuodTestbed; Kexec
// reboots the fake machine and starts the next kernel's luod on a new socket.
using LiveUpdate.Daemon;
using LiveUpdate.Daemon.Tests;
using LiveUpdate.Varlink;

namespace LiveUpdate.Client.Tests;

internal sealed class InProcessLuod : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;
    private readonly int _generation;

    private InProcessLuod(LuodTestbed bed, SessionRegistry registry, int generation, IUpdatePreflight preflight)
    {
        Preflight = preflight;
        Bed = bed;
        Registry = registry;
        _generation = generation;
        SocketPath = Path.Combine(bed.Directory, $"luod-{generation}.sock");
        var server = new VarlinkServer(new VarlinkServiceInfo("LiveUpdate", "luod", "test", "https://example.invalid/luod"));
        Coordinator = new UpdateCoordinator(registry, Kexec, Preflight, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, "7.2.0-test");
        server.AddInterface(new LiveUpdateInterface(registry, bed.Options, Kexec, Coordinator).Build());
        _serving = server.RunAsync(SocketPath, _stop.Token);
    }

    public LuodTestbed Bed { get; }

    /// <summary>The kexec luod performs: recorded, never rebooting the test machine.</summary>
    public RecordingKexec Kexec { get; } = new();

    /// <summary>The compatibility verdict luod's updates get (GO unless given to Start).</summary>
    public IUpdatePreflight Preflight { get; }

    public UpdateCoordinator Coordinator { get; }

    public SessionRegistry Registry { get; }

    public string SocketPath { get; }

    public static InProcessLuod Start(LuodTestbed bed, IUpdatePreflight? preflight = null) =>
        new(bed, bed.StartRegistry(), 0, preflight ?? FixedPreflight.Go);

    public Task<LiveUpdateClient> ConnectAsync() => ConnectWhenListeningAsync();

    /// <summary>Stops this luod, reboots the fake machine, and returns the next kernel's luod.</summary>
    public async Task<InProcessLuod> KexecAsync()
    {
        await StopServingAsync();
        return new InProcessLuod(Bed, Bed.Kexec(Registry), _generation + 1, Preflight);
    }

    public async ValueTask DisposeAsync() => await StopServingAsync();

    private async Task StopServingAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync();
        await _serving.WaitAsync(Timeout);
    }

    private async Task<LiveUpdateClient> ConnectWhenListeningAsync()
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            try { return await LiveUpdateClient.ConnectAsync(SocketPath).WaitAsync(Timeout); }
            catch (Errors.LuodUnavailableException) when (DateTime.UtcNow < deadline && !_serving.IsCompleted)
            {
                await Task.Delay(20);
            }
        }
    }
}
