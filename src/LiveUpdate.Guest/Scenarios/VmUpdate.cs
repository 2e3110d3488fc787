// VmUpdate (vm-update, the VM demo): luqemu runs a small QEMU VM (vm/vm-guest-init.sh, booted with
// this kernel's own bzImage; QEMU and the VM's initramfs come from the harness's payload disk /dev/vda) whose RAM is a memfd luod preserves, and takes it through
// `luoctl update` into the next kernel. Before: luod, luqemu (cold boot), the VM ticking; the VM's
// ticks are forwarded to the host as marks (the host's clock sees the VM's heartbeat stop and
// start again). After: luod, luqemu claims RAM + device state and resumes the VM; the VM's
// console must show the same boot, ticks going on and the seeded region intact (the host judges
// against the first kernel's console, sent in the running step), and `luoctl report` gives
// luod's vCPU-stop → resume blackout for participant "vm".
// lu.vm.mib=N sets the VM's RAM (default 64); lu.vm.verify=1 has luqemu hash the RAM on both sides;
// lu.vm.fill=SEED fills the RAM with pseudo-random bytes before the VM boots (the benchmark).
using System.Diagnostics;
using LiveUpdate.GuestContract;

namespace LiveUpdate.Guest.Scenarios;

public sealed class VmUpdate(GuestPlan plan, ResultChannel results)
{
    public const string Participant = "vm";
    /// <summary>The harness's read-only payload disk (VmmPayload): Debian's QEMU, its libraries and firmware, the small VM's initramfs.</summary>
    private const string PayloadDisk = "/dev/vda";
    private const string Payload = "/opt/vmm";
    private const string VmImage = Payload + "/vm-guest.cpio";
    private const string Qemu = Payload + "/usr/bin/qemu-system-x86_64";
    private const string Luqemu = "/opt/liveupdate/luqemu";
    private const string LuqemuLog = "/run/luqemu.log";
    private const string ConsoleLog = "/run/luqemu/vm/console.log";

    private int Mib => int.TryParse(plan.CommandLine.Get(GuestCommandLineKeys.VmMib), out int mib) && mib > 0 ? mib : 64;

    private ulong? FillSeed => ulong.TryParse(plan.CommandLine.Get(GuestCommandLineKeys.VmFillSeed), out ulong seed) ? seed : null;

    private bool VerifyRam => plan.CommandLine.Get(GuestCommandLineKeys.VmVerifyRam) == "1";

    public async Task<bool> RunAsync()
    {
        // As an init system would: luod and luqemu start together (luqemu retries luod's socket), so
        // luqemu's own start and the payload disk's mount overlap luod's start instead of following it.
        // The VM's ticks go to the host from the first one on (the console log appears when luqemu connects):
        // a tick forwarded late would be stamped late and lengthen the heartbeat gap the host sees.
        using var forwarding = new CancellationTokenSource();
        var ticks = Task.Run(() => VmConsoleTicks.ForwardAsync(results, ConsoleLog, forwarding.Token));
        var luqemu = Task.Run(StartLuqemuAsync);
        if (!await results.StepAsync(StepNames.VmUpdate.LuodStart, async () =>
            {
                var (luod, ready) = await LuodProcess.StartAsync("--OrphanGrace=00:10:00");
                return $"luod pid {luod.Process.Id} ready in {ready.TotalMilliseconds:F0} ms";
            }))
            return false;
        if (!await results.StepAsync(StepNames.VmUpdate.VmStart, () => luqemu))
            return false;
        bool ok = plan.IsFirstHop ? await BeforeAsync() : await AfterAsync();
        await forwarding.CancelAsync();
        await ticks;
        return ok;
    }

    private async Task<string> StartLuqemuAsync()
    {
        var clock = Stopwatch.StartNew();
        // The VM keeps the kernel it booted (the first kernel's image): its definition must match across the update.
        Directory.CreateDirectory(Payload);
        var mount = await GuestCommand.RunAsync("/bin/mount", "-t", "ext4", "-o", "ro", PayloadDisk, Payload);
        if (mount.ExitCode != 0) throw new InvalidOperationException($"mounting the payload disk {PayloadDisk} on {Payload} failed: {mount.Combined}");
        double mountMs = clock.Elapsed.TotalMilliseconds;
        // luqemu's output also goes to the console (tee): its freeze account must reach the host before the kexec.
        string command = $"LD_LIBRARY_PATH={Payload}/lib/x86_64-linux-gnu {Luqemu} run --name {Participant} --ram-mib {Mib} --qemu {Qemu} "
            + $"--kernel /boot/{plan.Chain[0]}/bzImage --initrd {VmImage} --append 'console=ttyS0 quiet'{(VerifyRam ? " --verify-ram" : "")}{(FillSeed is { } seed ? $" --fill-ram {seed}" : "")} 2>&1 | tee {LuqemuLog}";
        var process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", command])) ?? throw new InvalidOperationException("could not start luqemu");
        while (!ReadLog().Contains("taking part in live updates", StringComparison.Ordinal))
        {
            if (process.HasExited) throw new InvalidOperationException($"luqemu exited with {process.ExitCode}: {ReadLog()}");
            if (clock.Elapsed > TimeSpan.FromSeconds(300)) throw new TimeoutException($"luqemu did not start the VM within 300 s: {ReadLog()}");
            await Task.Delay(20);
        }
        return $"payload disk mounted in {mountMs:F0} ms; luqemu pid {process.Id} after {clock.Elapsed.TotalMilliseconds:F0} ms: {ReadLog()}";
    }

    private async Task<bool> BeforeAsync()
    {
        if (!await results.StepAsync(StepNames.VmUpdate.Running, async () =>
            {
                await VmConsoleTicks.WaitAsync(ConsoleLog, 3, TimeSpan.FromSeconds(600), ReadLog);
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
            var console = await VmConsoleTicks.WaitAsync(ConsoleLog, 7, TimeSpan.FromSeconds(300), ReadLog);
            if (console.Seeds.Count > 0) throw new InvalidOperationException($"the VM booted again: {File.ReadAllText(ConsoleLog)}");
            if (!ReadLog().Contains("equals the one taken after the stop", StringComparison.Ordinal) && VerifyRam)
                throw new InvalidOperationException($"luqemu did not confirm the RAM's SHA-256: {ReadLog()}");
            return File.ReadAllText(ConsoleLog);
        });
        ok &= await UpdateReportSteps.RunAsync(results, StepNames.VmUpdate.Prefix, [Participant]);
        return ok;
    }

    private static string ReadLog() => File.Exists(LuqemuLog) ? File.ReadAllText(LuqemuLog).Trim().Replace('\n', ' ') : "(no log)";
}
