// InProcessLuod: the real luod service (SessionRegistry + LiveUpdateInterface) served on a
// Unix socket in a temporary directory, over the fake /dev/liveupdate of LuodTestbed; Kexec
// reboots the fake machine and starts the next kernel's luod on a new socket; RestartInThisBoot
// is luod dying and starting again in the same boot, on the same socket.
using LiveUpdate.Daemon;
using System.Text.Json.Nodes;
using LiveUpdate.Client;
using LiveUpdate.Varlink;
using LiveUpdateProtocol = LiveUpdate.Protocol.LiveUpdateProtocol;

namespace LiveUpdate.Testing;

/// <summary>
/// The real luod service (its session registry, update coordinator and io.liveupdate Varlink
/// interface) serving a Unix socket over a <see cref="LuodTestbed"/>: connect an SDK client to
/// it, and <see cref="KexecAsync"/> to reboot into the next kernel's luod.
/// </summary>
public sealed class InProcessLuod : IAsyncDisposable
{
    /// <summary>How long connecting and stopping wait before they give up.</summary>
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

    /// <summary>The simulated machine this luod runs on.</summary>
    public LuodTestbed Bed { get; }

    /// <summary>The kexec luod performs: recorded, never rebooting the test machine.</summary>
    public RecordingKexec Kexec { get; } = new();

    /// <summary>The compatibility verdict luod's updates get (GO unless given to Start).</summary>
    public IUpdatePreflight Preflight { get; }

    /// <summary>luod's orchestration of an update (prepare, freeze, kexec, resume).</summary>
    public UpdateCoordinator Coordinator { get; }

    /// <summary>luod's sessions.</summary>
    public SessionRegistry Registry { get; }

    /// <summary>The Unix socket luod serves io.liveupdate on.</summary>
    public string SocketPath { get; }

    /// <summary>Starts luod on <paramref name="bed"/>; updates get <paramref name="preflight"/>'s verdict (GO when null).</summary>
    /// <remarks><paramref name="testHold"/>: a test-only fault point this luod holds at (LuodTestHold).</remarks>
    public static InProcessLuod Start(LuodTestbed bed, IUpdatePreflight? preflight = null, LuodTestHold? testHold = null) =>
        new(bed, bed.StartRegistry(testHold: testHold), 0, preflight ?? FixedPreflight.Go);

    /// <summary>An SDK client connected to this luod (retried until it listens).</summary>
    public Task<LiveUpdateClient> ConnectAsync() => ConnectWhenListeningAsync();

    /// <summary>
    /// What `luoctl update` does: asks luod for an update to <paramref name="kernel"/> and returns
    /// its progress replies (phases check, staged, prepare, paused, freeze, rebooting) once luod
    /// has "rebooted" (see <see cref="Kexec"/>); a cancelled update throws
    /// <see cref="VarlinkErrorException"/> (io.liveupdate.UpdateCancelled, with the reason).
    /// </summary>
    public async Task<IReadOnlyList<JsonObject>> RequestUpdateAsync(string? kernel = null,
        string commandLine = "console=ttyS0 kho=on liveupdate=on", int prepareTimeoutMs = 10_000, CancellationToken cancellationToken = default)
    {
        await using var varlink = await VarlinkClient.ConnectAsync(SocketPath, cancellationToken: cancellationToken);
        var progress = new List<JsonObject>();
        await foreach (var reply in varlink.CallMoreAsync(LiveUpdateProtocol.Methods.Update, new JsonObject
        {
            ["kernel"] = kernel ?? StandInKernelImage.SharedPath, ["commandLine"] = commandLine, ["prepareTimeoutMs"] = prepareTimeoutMs,
        }, cancellationToken: cancellationToken))
        {
            using (reply) progress.Add((JsonObject)reply.Parameters["progress"]!.DeepClone());
        }
        return progress;
    }

    /// <summary>Stops this luod, reboots the fake machine, and returns the next kernel's luod.</summary>
    public async Task<InProcessLuod> KexecAsync()
    {
        await StopServingAsync();
        return new InProcessLuod(Bed, Bed.Kexec(Registry), _generation + 1, Preflight);
    }

    /// <summary>
    /// luod dies (its connections close, its registry's descriptors too, as with SIGKILL) and a new luod
    /// of the same boot starts on the same socket — with <paramref name="fdStore"/>'s descriptors when given,
    /// as under systemd. /run stays: the new luod finds what the old one left there.
    /// </summary>
    public async Task<InProcessLuod> RestartInThisBootAsync(FakeSystemdFdStore? fdStore = null)
    {
        await StopServingAsync();
        Registry.Dispose();
        return new InProcessLuod(Bed, Bed.StartRegistry(fdStore), _generation, Preflight);
    }

    /// <summary>Stops serving (the registry lives on with <see cref="Bed"/>).</summary>
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
            catch (LiveUpdate.Client.Errors.LuodUnavailableException) when (DateTime.UtcNow < deadline && !_serving.IsCompleted)
            {
                await Task.Delay(20);
            }
        }
    }
}
