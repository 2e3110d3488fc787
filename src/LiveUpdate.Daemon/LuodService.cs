// LuodService: luod's life — take /dev/liveupdate (exit naming the holder if another
// process has it), adopt what the previous kernel handed over, serve io.liveupdate,
// apply the orphan policy, keep systemd informed, and perform the final kexec itself so
// every session stays held to the last moment.
using LiveUpdate.Kernel;
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Varlink;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LiveUpdate.Daemon;

public sealed class LuodService(IOptions<LuodOptions> options, ILogger<LuodService> log, IHostApplicationLifetime lifetime) : BackgroundService
{
    private readonly LuodOptions _options = options.Value;
    private readonly SystemdNotifier _systemd = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
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

        string release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        using var registry = new SessionRegistry(backend, _options, log, release);
        using (backend)
        {
            registry.Start();
            var service = new LiveUpdateInterface(registry, _options, request => KexecAsync(registry, request));
            var server = new VarlinkServer(new VarlinkServiceInfo("LiveUpdate", "luod", "0.1", "https://github.com/liveupdate"),
                new VarlinkServerOptions { SocketFileMode = (UnixFileMode)Convert.ToInt32(_options.SocketMode, 8), Log = (message, error) => log.LogWarning(error, "varlink: {Message}", message) });
            server.AddInterface(service.Build());
            Task serving = server.RunAsync(_options.SocketPath, stoppingToken);
            log.LogInformation("luod: serving io.liveupdate on {Socket}", _options.SocketPath);
            await _systemd.NotifyAsync($"READY=1\nSTATUS=serving {_options.SocketPath}", stoppingToken);
            await Task.WhenAll(serving, HousekeepingAsync(registry, stoppingToken));
        }
    }

    private async Task HousekeepingAsync(SessionRegistry registry, CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromSeconds(Math.Clamp(_options.OrphanGrace.TotalSeconds / 4, 0.5, 5));
        if (_systemd.WatchdogInterval is { } watchdog && watchdog / 2 < period) period = watchdog / 2;
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                registry.ApplyOrphanPolicy(SessionRegistry.NowNs());
                await _systemd.NotifyAsync("WATCHDOG=1", stoppingToken);
            }
        }
        catch (OperationCanceledException) { }
    }

    private async Task KexecAsync(SessionRegistry registry, KexecRequest request)
    {
        string commandLine = request.ReuseCommandLine ? KernelCommandLine.Current().ToString() : request.CommandLine!;
        log.LogInformation("luod: loading {Kernel} for kexec", request.Kernel);
        Kexec.Load(request.Kernel, request.Initrd, commandLine);
        registry.Persist();
        await _systemd.NotifyAsync("STOPPING=1\nSTATUS=rebooting into the next kernel");
        log.LogInformation("luod: rebooting into {Kernel}", request.Kernel);
        Kexec.RebootIntoLoadedKernel();
    }
}
