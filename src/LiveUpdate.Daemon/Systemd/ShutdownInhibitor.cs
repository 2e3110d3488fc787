// ShutdownInhibitor: the plain `systemctl kexec` path. systemctl asks logind first
// (systemctl-start-special.c), and logind holds a shutdown back while "delay" inhibitors are
// taken, after telling their holders PrepareForShutdownWithMetadata(true, {"type": "kexec"|
// "reboot"|"poweroff"|…}) (logind-dbus.c, v255+; sent before the plain PrepareForShutdown(b),
// as its API promises). So while participants are subscribed, luod holds
// Manager.Inhibit("shutdown", "luod", …, "delay") — a fd; closing it releases the lock — and on
// a kexec with no update of its own in progress it runs the update's prepare and freeze with
// every participant, writes the catalog with that pending update (the next kernel's luod reports
// it like any update, its reboot "by systemd") and only then releases the lock: no check and no
// stage (whoever called systemctl kexec loaded the kernel; /sys/kernel/kexec_loaded is recorded),
// no reboot (systemd performs it). Any other type releases at once: sessions luod holds do not
// survive a reboot that is not a kexec. PrepareForShutdown(false) (the shutdown was cancelled)
// resumes the participants and takes the lock again. logind waits at most InhibitDelayMaxUSec
// (logind.conf InhibitDelayMaxSec=, 5 s by default): prepare and freeze share it.
using Microsoft.Extensions.Logging;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Tmds.DBus.Protocol;

namespace LiveUpdate.Daemon.Systemd;

public sealed class ShutdownInhibitor : IAsyncDisposable
{
    public const string ServiceName = "org.freedesktop.login1";
    public const string ManagerPath = "/org/freedesktop/login1";
    public const string ManagerInterface = "org.freedesktop.login1.Manager";
    public const string Reason = "luod holds Linux Live Update sessions: a kexec waits until its participants have frozen and the catalog is written";

    private static readonly TimeSpan DefaultInhibitDelayMax = TimeSpan.FromSeconds(5);

    private readonly DBusConnection _bus;
    private readonly UpdateCoordinator _coordinator;
    private readonly Func<bool> _wanted;
    private readonly Func<bool> _kexecLoaded;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<IDisposable> _watches = [];
    private Task _loop = Task.CompletedTask;
    private SafeHandle? _lock;
    private string? _shutdownType; // set from PrepareForShutdown*(true) until (false)
    private bool _inhibitFailureLogged;
    private bool _everHeld;

    private ShutdownInhibitor(DBusConnection bus, UpdateCoordinator coordinator, Func<bool> wanted, Func<bool> kexecLoaded, TimeSpan inhibitDelayMax, ILogger log)
    {
        (_bus, _coordinator, _wanted, _kexecLoaded, InhibitDelayMax, _log) = (bus, coordinator, wanted, kexecLoaded, inhibitDelayMax, log);
    }

    /// <summary>How long logind waits for delay locks (Manager.InhibitDelayMaxUSec).</summary>
    public TimeSpan InhibitDelayMax { get; }

    /// <summary>Each of prepare and freeze gets half of logind's delay, less a margin for the catalog write.</summary>
    public TimeSpan PhaseTimeout => TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond * 100, (InhibitDelayMax - TimeSpan.FromMilliseconds(500)).Ticks / 2));

    /// <summary>True while luod holds the delay lock.</summary>
    public bool Holding { get { lock (_gate) return _lock is not null; } }

    /// <summary>
    /// Connects to the system bus at <paramref name="busAddress"/> (default $DBUS_SYSTEM_BUS_ADDRESS) and
    /// follows logind; null — logged once, with why — when there is no bus or no logind: luod then runs
    /// as without it (a plain `systemctl kexec` does not wait for its participants).
    /// <paramref name="wanted"/> says whether the lock is worth holding now (checked every <paramref name="period"/>);
    /// <paramref name="kexecLoaded"/> defaults to /sys/kernel/kexec_loaded.
    /// </summary>
    public static async Task<ShutdownInhibitor?> TryStartAsync(string? busAddress, UpdateCoordinator coordinator, Func<bool> wanted, ILogger log,
        TimeSpan? period = null, Func<bool>? kexecLoaded = null, CancellationToken cancellationToken = default)
    {
        busAddress ??= DBusAddress.System ?? "unix:path=/run/dbus/system_bus_socket";
        var bus = new DBusConnection(busAddress);
        TimeSpan delayMax;
        try
        {
            await bus.ConnectAsync().AsTask().WaitAsync(SystemdManagerClient.CallTimeout, cancellationToken);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            bus.Dispose();
            log.LogInformation("luod: no system bus ({Address}: {Message}); a plain `systemctl kexec` does not wait for luod's participants (no logind delay lock)", busAddress, error.Message);
            return null;
        }
        try
        {
            delayMax = await ReadInhibitDelayMaxAsync(bus, cancellationToken);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            bus.Dispose();
            log.LogInformation("luod: no logind on the system bus ({Message}); a plain `systemctl kexec` does not wait for luod's participants (no delay lock)", error.Message);
            return null;
        }
        var inhibitor = new ShutdownInhibitor(bus, coordinator, wanted, kexecLoaded ?? KexecLoaded, delayMax, log);
        try
        {
            inhibitor._watches.Add(await bus.WatchSignalAsync(ServiceName, ManagerPath, ManagerInterface, "PrepareForShutdownWithMetadata",
                static (Message message, object? _) =>
                {
                    var reader = message.GetBodyReader();
                    bool start = reader.ReadBool();
                    var metadata = reader.ReadDictionaryOfStringToVariantValue();
                    return (start, metadata.TryGetValue("type", out var type) && type.Type == VariantValueType.String ? type.GetString() : "unknown");
                },
                (Notification<(bool Start, string Type)> signal) => { if (signal.HasValue) inhibitor.OnPrepareForShutdown(signal.Value.Start, signal.Value.Type); },
                ObserverFlags.None, emitOnCapturedContext: false));
            inhibitor._watches.Add(await bus.WatchSignalAsync(ServiceName, ManagerPath, ManagerInterface, "PrepareForShutdown",
                static (Message message, object? _) => message.GetBodyReader().ReadBool(),
                (Notification<bool> signal) => { if (signal.HasValue) inhibitor.OnPrepareForShutdown(signal.Value, null); },
                ObserverFlags.None, emitOnCapturedContext: false));
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            await inhibitor.DisposeAsync();
            log.LogWarning("luod: cannot follow logind's PrepareForShutdown signals ({Message}); no delay lock", error.Message);
            return null;
        }
        log.LogInformation("luod: logind found; while participants are subscribed luod holds a shutdown delay lock (logind waits up to {Delay} s)", delayMax.TotalSeconds);
        inhibitor._loop = inhibitor.KeepAsync(period ?? TimeSpan.FromSeconds(1));
        return inhibitor;
    }

    private static bool KexecLoaded()
    {
        try { return File.ReadAllText("/sys/kernel/kexec_loaded").Trim() == "1"; }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException) { return false; }
    }

    private static async Task<TimeSpan> ReadInhibitDelayMaxAsync(DBusConnection bus, CancellationToken cancellationToken)
    {
        MessageBuffer message;
        using (var writer = bus.GetMessageWriter())
        {
            writer.WriteMethodCallHeader(destination: ServiceName, path: ManagerPath, @interface: "org.freedesktop.DBus.Properties", member: "Get", signature: "ss");
            writer.WriteString(ManagerInterface);
            writer.WriteString("InhibitDelayMaxUSec");
            message = writer.CreateMessage();
        }
        var usec = await bus.CallMethodAsync(message, static (Message reply, object? _) =>
        {
            var value = reply.GetBodyReader().ReadVariantValue();
            return value.Type == VariantValueType.UInt64 ? value.GetUInt64() : 0UL;
        }).WaitAsync(SystemdManagerClient.CallTimeout, cancellationToken);
        return usec > 0 ? TimeSpan.FromMicroseconds(usec) : DefaultInhibitDelayMax;
    }

    /// <summary>Takes the lock while wanted (and no shutdown is under way), releases it when no longer wanted.</summary>
    private async Task KeepAsync(TimeSpan period)
    {
        using var timer = new PeriodicTimer(period);
        try
        {
            do
            {
                bool take, release;
                lock (_gate)
                {
                    bool wanted = _wanted();
                    take = wanted && _lock is null && _shutdownType is null;
                    release = !wanted && _lock is not null && _shutdownType is null;
                }
                if (take) await TakeAsync();
                else if (release) Release("no participant is subscribed any more");
            }
            while (await timer.WaitForNextTickAsync(_stop.Token));
        }
        catch (OperationCanceledException) { }
    }

    private async Task TakeAsync()
    {
        MessageBuffer message;
        using (var writer = _bus.GetMessageWriter())
        {
            writer.WriteMethodCallHeader(destination: ServiceName, path: ManagerPath, @interface: ManagerInterface, member: "Inhibit", signature: "ssss");
            writer.WriteString("shutdown");
            writer.WriteString("luod");
            writer.WriteString(Reason);
            writer.WriteString("delay");
            message = writer.CreateMessage();
        }
        SafeFileHandle taken;
        try
        {
            taken = await _bus.CallMethodAsync(message, static (Message reply, object? _) => reply.GetBodyReader().ReadHandle<SafeFileHandle>()!)
                .WaitAsync(SystemdManagerClient.CallTimeout, _stop.Token);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            if (!_inhibitFailureLogged) _log.LogWarning("luod: logind refused luod's shutdown delay lock ({Message}); a plain `systemctl kexec` will not wait for participants", error.Message);
            _inhibitFailureLogged = true;
            return;
        }
        bool first;
        lock (_gate)
        {
            if (_lock is not null || _shutdownType is not null) { taken.Dispose(); return; }
            _lock = taken;
            first = !_everHeld;
            _everHeld = true;
        }
        _log.Log(first ? LogLevel.Information : LogLevel.Debug, "luod: holding logind's shutdown delay lock (participants are subscribed)");
    }

    private void Release(string why)
    {
        SafeHandle? held;
        lock (_gate) (held, _lock) = (_lock, null);
        if (held is null) return;
        held.Dispose();
        _log.LogInformation("luod: released logind's shutdown delay lock: {Why}", why);
    }

    /// <summary>One of logind's two signals; <paramref name="type"/> is null for the plain PrepareForShutdown(b).</summary>
    private void OnPrepareForShutdown(bool start, string? type)
    {
        lock (_gate)
        {
            if (start)
            {
                // With metadata first (v255+); the plain signal that follows repeats it. Older logind sends only the plain one.
                if (_shutdownType is not null) return;
                _shutdownType = type ?? "unknown (logind older than v255 says no type)";
            }
            else
            {
                if (_shutdownType is null) return;
                _shutdownType = null;
            }
        }
        _ = start ? Task.Run(() => PrepareAsync(type)) : Task.Run(ShutdownCancelled);
    }

    private async Task PrepareAsync(string? type)
    {
        if (type != "kexec")
        {
            Release($"a {type ?? "shutdown of unknown type"} is starting, not a kexec: the sessions luod holds do not survive it");
            _log.LogWarning("luod: the machine is going down for {Type}, not a kexec: preserved sessions do not survive it (only a kexec into a live-update kernel keeps them)", type ?? "a shutdown of unknown type");
            return;
        }
        if (!Holding)
        {
            _log.LogInformation("luod: `systemctl kexec` is starting; luod holds no delay lock (no participant), nothing to prepare");
            return;
        }
        if (_coordinator.Stage != UpdateStage.Idle)
        {
            Release("a kexec is starting while luod's own update is in progress; that update goes on");
            return;
        }
        bool loaded = _kexecLoaded();
        _log.LogInformation("luod: `systemctl kexec` is starting (kernel loaded: {Loaded}); participants prepare and freeze before the lock is released", loaded);
        try
        {
            string updateId = await _coordinator.RunForSystemKexecAsync(new SystemKexecRequest(loaded, PhaseTimeout, "systemctl kexec"), _stop.Token);
            _log.LogInformation("luod: update {UpdateId} is ready for systemd's kexec", updateId);
        }
        catch (Exception error) when (error is not OperationCanceledException || !_stop.IsCancellationRequested)
        {
            _log.LogError("luod: preparing for `systemctl kexec` failed, participants resumed: {Message}; systemd kexecs anyway once the lock is released", error.Message);
        }
        finally
        {
            Release("participants are frozen and the catalog is written for the kexec");
        }
    }

    private void ShutdownCancelled()
    {
        _coordinator.ResumeAfterCancelledSystemKexec("the shutdown was cancelled (logind: PrepareForShutdown(false))");
        _log.LogInformation("luod: the shutdown was cancelled; luod takes its delay lock again while participants are subscribed");
        // KeepAsync takes the lock again at its next tick.
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        foreach (var watch in _watches) watch.Dispose();
        Release("luod stops");
        _bus.Dispose();
        _stop.Dispose();
    }
}
