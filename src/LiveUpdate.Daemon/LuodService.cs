// LuodService: luod's life — take /dev/liveupdate (exit naming the holder if another
// process has it), adopt what the previous kernel handed over, serve io.liveupdate,
// apply the orphan policy, keep systemd informed, and have the final kexec performed with
// every session held to the last moment: by luod itself, or, under systemd v261+ (RebootBy),
// by systemd, which carries luod's fd store across it (Systemd/RebootByChoice.cs). While
// participants are subscribed luod holds logind's shutdown delay lock, so a plain
// `systemctl kexec` waits for them too (Systemd/ShutdownInhibitor.cs). io.liveupdate is served
// on the socket systemd passed (luod.socket, socket activation) when there is one, else on SocketPath.
using LiveUpdate.Daemon.Systemd;
using LiveUpdate.Kernel;
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Varlink;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LiveUpdate.Daemon;

public sealed class LuodService(IOptions<LuodOptions> options, ILogger<LuodService> log, IHostApplicationLifetime lifetime, ISystemdNotifier systemd) : BackgroundService
{
    private readonly LuodOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var systemdEnvironment = SystemdEnvironment.Current;
        // Taken first, so the LISTEN_* variables are gone before anything else runs: the
        // listening socket (socket activation) and what luod parked in systemd's fd store.
        var passed = SystemdListenFds.Take(out string? passProblem);
        if (passProblem is not null) log.LogWarning("luod: {Problem}", passProblem);
        var activation = SystemdSocketActivation.TryAdopt(passed, out string? activationProblem);
        if (activationProblem is not null)
            log.LogWarning("luod: socket activation: {Problem}; binding {Socket} itself", activationProblem, _options.SocketPath);
        using var activatedListener = activation?.Listener;
        var fdStore = SystemdFileDescriptorStore.FromEnvironment(log);
        await using var fdStorePump = fdStore as IAsyncDisposable;

        ILiveUpdateBackend backend;
        try
        {
            backend = KernelBackend.Open(_options.DevicePath);
        }
        catch (LiveUpdateException error)
        {
            log.LogCritical("luod cannot start: {Message}", error.Message);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
            return;
        }

        LuodTestHold testHold;
        try { testHold = LuodTestHold.FromEnvironment(_options.CustodyRecordPath); }
        catch (ArgumentException error)
        {
            log.LogCritical("luod cannot start: {Message}", error.Message);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
            return;
        }
        if (testHold.Point is { } point)
            log.LogCritical("luod: TEST-ONLY {Variable}={Point}: this luod will stop at that point until killed (never set this outside tests)", LuodTestHold.EnvironmentVariable, point);

        string release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        using var registry = new SessionRegistry(backend, _options, log, release, fdStore) { TestHold = testHold };
        using (backend)
        {
            registry.Start(passed);
            await registry.FileDescriptorStore.FlushAsync(stoppingToken);
            var kernelKexec = new KexecPerformer(registry, log, systemd);
            // Who reboots is asked of systemd over D-Bus, and the logind lock taken, while luod
            // already serves: after a kexec every client waits for luod (ChosenKexecPerformer).
            var choosing = RebootByChoice.ChooseAsync(_options.RebootBy, systemdEnvironment,
                cancellationToken => SystemdManagerClient.ConnectAsync(cancellationToken: cancellationToken), log, stoppingToken);
            async Task<IKexecPerformer> ChooseAsync()
            {
                var (choice, manager) = await choosing;
                return choice.BySystemd ? new SystemdKexecPerformer(kernelKexec, manager!, log, stoppingToken) : kernelKexec;
            }
            IKexecPerformer kexec = new ChosenKexecPerformer(kernelKexec, ChooseAsync());
            var coordinator = new UpdateCoordinator(registry, kexec, new KernelImagePreflight(), log, release);
            var inhibiting = ShutdownInhibitor.TryStartAsync(null, coordinator, () => coordinator.HasParticipants, log,
                cancellationToken: stoppingToken);
            await using var releaseOnStop = new AsyncStopActions(async () =>
            {
                try { if (await inhibiting is { } inhibitor) await inhibitor.DisposeAsync(); }
                catch (Exception error) when (error is not OperationCanceledException)
                {
                    log.LogWarning("luod: the logind delay lock could not be taken or released cleanly: {Message}", error.Message);
                }
                catch (OperationCanceledException) { }
                try { (await choosing).Manager?.Dispose(); }
                catch (OperationCanceledException) { }
            });
            var service = new LiveUpdateInterface(registry, _options, kexec, coordinator);
            var server = new VarlinkServer(new VarlinkServiceInfo("LiveUpdate", "luod", "0.1", "https://github.com/liveupdate"),
                new VarlinkServerOptions { SocketFileMode = (UnixFileMode)Convert.ToInt32(_options.SocketMode, 8), Log = (message, error) => log.LogWarning(error, "varlink: {Message}", message) });
            server.AddInterface(service.Build());
            // Activated: systemd owns the socket file (its path and SocketMode=); luod only serves it.
            Task serving = activation is null
                ? server.RunAsync(_options.SocketPath, stoppingToken)
                : server.RunAsync(activation.Listener, stoppingToken);
            string where = activation is null ? _options.SocketPath : $"{activation.Describe()} (socket activated)";
            log.LogInformation("luod: serving io.liveupdate on {Socket}", where);
            systemd.Notify(new ServiceState($"READY=1\nSTATUS=serving {where}"));
            // After a live update: the kernel logs join its timeline now that clients can reclaim.
            _ = Task.Run(async () =>
            {
                SystemdDescription? systemdFacts = null;
                try { systemdFacts = (await choosing).Choice.Systemd; }
                catch (OperationCanceledException) { return; }
                try { coordinator.MergeKernelLogs(systemdFacts); }
                catch (Exception error) when (error is LiveUpdateException or IOException or Varlink.VarlinkErrorException)
                {
                    log.LogError("luod: merging the kernel logs into the update's timeline failed: {Message}", error.Message);
                }
            }, stoppingToken);
            using var metrics = StartMetrics(registry, coordinator, release);
            Task metricsServing = metrics?.RunAsync(stoppingToken) ?? Task.CompletedTask;
            await Task.WhenAll(serving, HousekeepingAsync(coordinator, stoppingToken), metricsServing);
        }
    }

    /// <summary>The metrics listener when MetricsListen names one; a bad address or a failed bind is logged and luod serves on without it.</summary>
    private MetricsListener? StartMetrics(SessionRegistry registry, UpdateCoordinator coordinator, string release)
    {
        if (string.IsNullOrWhiteSpace(_options.MetricsListen)) return null;
        var root = new PeerCredentials(Environment.ProcessId, 0, 0);
        try
        {
            var listener = MetricsListener.Bind(MetricsListenAddress.Parse(_options.MetricsListen),
                () => LiveUpdate.Metrics.MetricsSnapshot.From(MetricsStateCapture.Capture(registry, coordinator, _options, root, release), coordinator.CompletedUpdates), log);
            log.LogInformation("luod: serving metrics (OpenMetrics) on {Address}{Path}", _options.MetricsListen, MetricsListener.Path);
            return listener;
        }
        catch (Exception error) when (error is ArgumentException or System.Net.Sockets.SocketException or IOException or UnauthorizedAccessException)
        {
            log.LogError("luod: metrics not served: {Message}; fix MetricsListen (docs/telemetry.md \"Metrics\")", error.Message);
            return null;
        }
    }

    private async Task HousekeepingAsync(UpdateCoordinator coordinator, CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromSeconds(Math.Clamp(_options.OrphanGrace.TotalSeconds / 4, 0.5, 5));
        if (SystemdWatchdog.Interval is { } watchdog && watchdog / 2 < period) period = watchdog / 2;
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    coordinator.ApplyGrace(SessionRegistry.NowNs());
                }
                catch (Exception error) when (error is LiveUpdateException or Varlink.VarlinkErrorException)
                {
                    // Never let one orphan take luod (and every session it holds) down.
                    log.LogError("luod: applying the orphan policy failed: {Message}", error.Message);
                }
                systemd.Notify(Watchdog);
            }
        }
        catch (OperationCanceledException) { }
    }

    private static readonly ServiceState Watchdog = new("WATCHDOG=1");

    private sealed class KexecPerformer(SessionRegistry registry, ILogger log, ISystemdNotifier systemd) : IKexecPerformer
    {
        public void Load(KexecRequest request)
        {
            string commandLine = request.ReuseCommandLine ? KernelCommandLine.Current().ToString() : request.CommandLine!;
            log.LogInformation("luod: loading {Kernel} for kexec", request.Kernel);
            Kexec.Load(request.Kernel, request.Initrd, commandLine);
        }

        public void Unload()
        {
            log.LogInformation("luod: unloading the staged kernel");
            Kexec.Unload();
        }

        public Task RebootAsync()
        {
            registry.Persist();
            systemd.Notify(new ServiceState("STOPPING=1\nSTATUS=rebooting into the next kernel"));
            log.LogInformation("luod: rebooting into the staged kernel");
            Kexec.RebootIntoLoadedKernel();
            return Task.CompletedTask;
        }
    }

    /// <summary>Runs <paramref name="actions"/> when disposed (luod stopping): what was started in the background is ended in order.</summary>
    private sealed class AsyncStopActions(Func<Task> actions) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await actions();
    }
}
