// VmUpdate (vm-update, the VM demo): luqemu runs a small QEMU VM (vm/vm-guest-init.sh, booted with
// this kernel's own bzImage) whose RAM is a memfd luod preserves, and takes it through
// `luoctl update` into the next kernel. Before: luod, luqemu (cold boot), the VM ticking; the VM's
// ticks are forwarded to the host as marks (the host's clock sees the VM's heartbeat stop and
// start again). After: luod, luqemu claims RAM + device state and resumes the VM; the VM's
// console must show the same boot, ticks going on and the seeded region intact (the host judges
// against the first kernel's console, sent in the running step), and `luoctl report` gives
// luod's vCPU-stop → resume blackout for participant "vm".
// lu.vm.mib=N sets the VM's RAM (default 64); lu.vm.verify=1 has luqemu hash the RAM on both sides.
using System.Diagnostics;
using LiveUpdate.GuestContract;

namespace LiveUpdate.Guest.Scenarios;

public sealed class VmUpdate(GuestPlan plan, ResultChannel results)
{
    public const string Participant = "vm";
    public const string VmImage = "/opt/luqemu/vm-guest.cpio";
    private const string Luqemu = "/opt/liveupdate/luqemu";
    private const string LuqemuLog = "/run/luqemu.log";
    private const string ConsoleLog = "/run/luqemu/vm/console.log";

    private int Mib => int.TryParse(plan.CommandLine.Get(GuestCommandLineKeys.VmMib), out int mib) && mib > 0 ? mib : 64;

    private bool VerifyRam => plan.CommandLine.Get(GuestCommandLineKeys.VmVerifyRam) == "1";

    public async Task<bool> RunAsync()
    {
        if (!await results.StepAsync(StepNames.VmUpdate.LuodStart, async () =>
            {
                var (luod, ready) = await LuodProcess.StartAsync("--OrphanGrace=00:10:00");
                return $"luod pid {luod.Process.Id} ready in {ready.TotalMilliseconds:F0} ms";
            }))
            return false;
        using var forwarding = new CancellationTokenSource();
        if (!await results.StepAsync(StepNames.VmUpdate.VmStart, StartLuqemuAsync))
            return false;
        var ticks = Task.Run(() => ForwardTicksAsync(forwarding.Token));
        bool ok = plan.IsFirstHop ? await BeforeAsync() : await AfterAsync();
        await forwarding.CancelAsync();
        await ticks;
        return ok;
    }

    private async Task<string> StartLuqemuAsync()
    {
        var clock = Stopwatch.StartNew();
        string command = $"{Luqemu} run --name {Participant} --ram-mib {Mib} --kernel /boot/{plan.CurrentTag}/bzImage --initrd {VmImage} "
            + $"--append 'console=ttyS0 quiet'{(VerifyRam ? " --verify-ram" : "")} 2>&1 | tee {LuqemuLog}";
        var process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", command])) ?? throw new InvalidOperationException("could not start luqemu");
        while (!ReadLog().Contains("taking part in live updates", StringComparison.Ordinal))
        {
            if (process.HasExited) throw new InvalidOperationException($"luqemu exited with {process.ExitCode}: {ReadLog()}");
            if (clock.Elapsed > TimeSpan.FromSeconds(300)) throw new TimeoutException($"luqemu did not start the VM within 300 s: {ReadLog()}");
            await Task.Delay(20);
        }
        return $"luqemu pid {process.Id} after {clock.Elapsed.TotalMilliseconds:F0} ms: {ReadLog()}";
    }

    private async Task<bool> BeforeAsync()
    {
        if (!await results.StepAsync(StepNames.VmUpdate.Running, async () =>
            {
                var console = await WaitForTicksAsync(3, TimeSpan.FromSeconds(600));
                return File.ReadAllText(ConsoleLog);
            }))
            return false;
        return await results.StepAsync(StepNames.VmUpdate.Update, async () =>
        {
            await LuodProcess.UpdateThroughLuodAsync(plan, results, () => $"luqemu: {ReadLog()}");
            return "";
        });
    }

    private async Task<bool> AfterAsync()
    {
        bool ok = await results.StepAsync(StepNames.VmUpdate.Continuity, async () =>
        {
            // One check of the seeded region after the resume needs up to 5 ticks.
            var console = await WaitForTicksAsync(7, TimeSpan.FromSeconds(300));
            if (console.Seeds.Count > 0) throw new InvalidOperationException($"the VM booted again: {File.ReadAllText(ConsoleLog)}");
            if (!ReadLog().Contains("equals the one taken after the stop", StringComparison.Ordinal) && VerifyRam)
                throw new InvalidOperationException($"luqemu did not confirm the RAM's SHA-256: {ReadLog()}");
            return File.ReadAllText(ConsoleLog);
        });
        ok &= await UpdateReportSteps.RunAsync(results, StepNames.VmUpdate.Prefix, [Participant]);
        return ok;
    }

    private static async Task<VmGuestConsole> WaitForTicksAsync(int count, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var console = VmGuestConsole.Parse(File.Exists(ConsoleLog) ? File.ReadAllText(ConsoleLog) : "");
            if (console.Ticks.Count(t => t.Check is not null) >= 1 && console.Ticks.Count >= count) return console;
            if (clock.Elapsed > timeout) throw new TimeoutException($"the VM printed {console.Ticks.Count} of {count} ticks within {timeout.TotalSeconds:F0} s: {ReadLog()}");
            await Task.Delay(100);
        }
    }

    /// <summary>Each new tick of the VM as a mark on ttyS1: the host stamps its arrival, so the VM's heartbeat gap is seen on the host's clock.</summary>
    private async Task ForwardTicksAsync(CancellationToken cancellationToken)
    {
        int sent = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var ticks = VmGuestConsole.Parse(File.Exists(ConsoleLog) ? File.ReadAllText(ConsoleLog) : "").Ticks;
                for (; sent < ticks.Count; sent++)
                    await results.MarkAsync(VmTickMark, $"tick={ticks[sent].Tick} uptime={ticks[sent].UptimeSeconds}");
                await Task.Delay(50, cancellationToken);
            }
        }
        catch (OperationCanceledException) { }
    }

    public const string VmTickMark = "vm.tick";

    private static string ReadLog() => File.Exists(LuqemuLog) ? File.ReadAllText(LuqemuLog).Trim().Replace('\n', ' ') : "(no log)";
}
