// QemuProcess: one running QEMU of the VM — the process (spawned with the RAM memfd at
// descriptor 3, and for an incoming migration the device-state memfd at 4), its QMP connection
// and its console relay. It starts paused (-S); RunAsync lets the vCPUs go. Stop, save and quit
// are the freeze; StartIncomingAsync + RunAsync the resume in the next kernel.
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using LiveUpdate.Kernel;

namespace LuQemu;

public sealed class QemuProcess : IAsyncDisposable
{
    private const int RamDescriptor = ChildProcessSpawner.FirstPassedDescriptor;
    private const int StateDescriptor = ChildProcessSpawner.FirstPassedDescriptor + 1;

    /// <summary>1 TiB/s: no throttle in practice (QEMU refuses values above SIZE_MAX).</summary>
    private const long UnthrottledBytesPerSecond = 1L << 40;

    private QemuProcess(SpawnedProcess process, QmpClient qmp, ConsoleRelay console)
    {
        Process = process;
        Qmp = qmp;
        Console = console;
    }

    public SpawnedProcess Process { get; }
    public QmpClient Qmp { get; }
    public ConsoleRelay Console { get; }

    /// <summary>
    /// Starts QEMU for <paramref name="vm"/> on <paramref name="ram"/>, paused; with <paramref name="incomingState"/>, loads that
    /// saved state (a memfd or a file). <paramref name="ramInStream"/>: the RAM travels in the migration stream (the old way, to a
    /// file); otherwise x-ignore-shared keeps it out (it is the preserved memfd itself).
    /// </summary>
    public static async Task<QemuProcess> StartAsync(VmDefinition vm, MemFd ram, SafeHandle? incomingState, RunDirectory run, bool echoConsole,
        CancellationToken cancellationToken, bool ramInStream = false)
    {
        if (!File.Exists(vm.Qemu))
            throw new FileNotFoundException($"{vm.Qemu} is missing; install Debian's qemu-system-x86 (apt install qemu-system-x86) or give --qemu PATH");
        foreach (var path in new[] { run.QmpSocket, run.ConsoleSocket }) File.Delete(path);
        var arguments = vm.QemuArguments(RamDescriptor, run.QmpSocket, run.ConsoleSocket, incomingState is not null);
        var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Select(e => new KeyValuePair<string, string>((string)e.Key, (string?)e.Value ?? ""));
        var process = ChildProcessSpawner.Spawn(vm.Qemu, arguments, environment, incomingState is null ? [ram] : [ram, incomingState]);
        try
        {
            var qmp = await QmpClient.ConnectAsync(run.QmpSocket, TimeSpan.FromSeconds(120), () => process.HasExited, cancellationToken).ConfigureAwait(false);
            var console = await ConsoleRelay.ConnectAsync(run.ConsoleSocket, run.ConsoleLog, echoConsole, cancellationToken).ConfigureAwait(false);
            var qemu = new QemuProcess(process, qmp, console);
            // The RAM is the preserved memfd: never copy it into the device-state stream.
            if (!ramInStream) await qemu.SetIgnoreSharedAsync(cancellationToken).ConfigureAwait(false);
            // QEMU throttles a migration to 32 MiB/s by default (for live migration over a network); a stopped VM
            // saved into local memory or a file must go at full speed, as libvirt's save does.
            await qmp.ExecuteAsync("migrate-set-parameters", new JsonObject { ["max-bandwidth"] = UnthrottledBytesPerSecond }, cancellationToken).ConfigureAwait(false);
            if (incomingState is not null)
                await qemu.LoadIncomingAsync(cancellationToken).ConfigureAwait(false);
            return qemu;
        }
        catch
        {
            process.Kill();
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            process.Dispose();
            throw;
        }
    }

    public Task SetIgnoreSharedAsync(CancellationToken cancellationToken) =>
        Qmp.ExecuteAsync("migrate-set-capabilities", new JsonObject
        {
            ["capabilities"] = new JsonArray(new JsonObject { ["capability"] = "x-ignore-shared", ["state"] = true }),
        }, cancellationToken);

    private async Task LoadIncomingAsync(CancellationToken cancellationToken)
    {
        await Qmp.ExecuteAsync("migrate-incoming", new JsonObject { ["uri"] = $"fd:{StateDescriptor}" }, cancellationToken).ConfigureAwait(false);
        await WaitForMigrationAsync("load the saved device state", TimeSpan.FromSeconds(120), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Polls query-migrate until the migration in either direction completed; throws with QEMU's reason when it failed or QEMU died.</summary>
    private async Task WaitForMigrationAsync(string what, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var status = await Qmp.ExecuteAsync("query-migrate", null, cancellationToken).ConfigureAwait(false);
            string? phase = (string?)status?["status"];
            if (phase == "completed") return;
            if (phase is "failed" or "cancelled")
                throw new InvalidOperationException($"QEMU could not {what}: {(string?)status?["error-desc"] ?? phase}");
            if (Process.HasExited)
                throw new InvalidOperationException($"QEMU exited with {Process.ExitCode} while trying to {what} (its messages are above)");
            if (clock.Elapsed > timeout) throw new TimeoutException($"QEMU did not {what} within {timeout.TotalSeconds:F0} s");
            await Task.Delay(2, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Lets the vCPUs run (QMP cont) and returns when they did: QEMU's RESUME timestamp.</summary>
    public async Task<DateTimeOffset> RunAsync(CancellationToken cancellationToken)
    {
        int seen = Qmp.EventCount;
        await Qmp.ExecuteAsync("cont", null, cancellationToken).ConfigureAwait(false);
        return (await Qmp.WaitForEventAsync("RESUME", seen, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false)).Timestamp;
    }

    /// <summary>Pauses the vCPUs (QMP stop) and returns QEMU's STOP timestamp: the VM's blackout starts there.</summary>
    public async Task<DateTimeOffset> PauseAsync(CancellationToken cancellationToken)
    {
        int seen = Qmp.EventCount;
        await Qmp.ExecuteAsync("stop", null, cancellationToken).ConfigureAwait(false);
        return (await Qmp.WaitForEventAsync("STOP", seen, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false)).Timestamp;
    }

    /// <summary>Whether the vCPUs run (QMP query-status).</summary>
    public async Task<bool> IsRunningAsync(CancellationToken cancellationToken) =>
        (bool?)(await Qmp.ExecuteAsync("query-status", null, cancellationToken).ConfigureAwait(false))?["running"] ?? false;

    /// <summary>Migrates the paused VM's device state (RAM excluded: x-ignore-shared) into <paramref name="state"/>; returns its length.</summary>
    public async Task<long> SaveDeviceStateAsync(MemFd state, CancellationToken cancellationToken)
    {
        await MigrateToAsync(state, cancellationToken).ConfigureAwait(false);
        return state.Size;
    }

    /// <summary>Migrates the paused VM (with its RAM unless x-ignore-shared is on) into <paramref name="target"/>, from its current position.</summary>
    public async Task MigrateToAsync(SafeHandle target, CancellationToken cancellationToken)
    {
        const string name = "luqemu-state";
        await Qmp.ExecuteAsync("getfd", new JsonObject { ["fdname"] = name }, target, cancellationToken).ConfigureAwait(false);
        await Qmp.ExecuteAsync("migrate", new JsonObject { ["uri"] = $"fd:{name}" }, cancellationToken).ConfigureAwait(false);
        await WaitForMigrationAsync("save the VM", TimeSpan.FromMinutes(10), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ends QEMU (QMP quit), killing it if it does not exit within 10 s.</summary>
    public async Task QuitAsync()
    {
        try { await Qmp.ExecuteAsync("quit").WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false); }
        catch (Exception error) when (error is IOException or TimeoutException or QmpException) { }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try { await Process.WaitForExitAsync(timeout.Token).ConfigureAwait(false); }
        catch (OperationCanceledException)
        {
            Process.Kill();
            await Process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Qmp.DisposeAsync().ConfigureAwait(false);
        await Console.DisposeAsync().ConfigureAwait(false);
        if (!Process.HasExited)
        {
            Process.Kill();
            await Process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        Process.Dispose();
    }
}
