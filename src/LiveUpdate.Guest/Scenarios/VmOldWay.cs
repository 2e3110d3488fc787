// VmOldWay (vm-oldway, the VM benchmark's comparison): the old way for VMs, without live update —
// QEMU saves the whole VM, RAM included, to a file on a virtio disk, the machine reboots cold, and
// a new QEMU restores the VM from the file (what `virsh save` / `virsh restore` do). The same small
// VM as vm-update, on the same QEMU from the harness's payload disk (/dev/vdb here: /dev/vda is the
// writable disk the file goes to). Hop 0: boot the VM (RAM optionally filled, lu.vm.fill), let it
// tick, mark vm.stopped right after QMP stop, migrate into the file, fsync, quit; lu-guest then
// reboots cold. Hop 1: a new QEMU loads the file, cont, mark vm.resumed; the console must show the
// same boot going on. The host times vm.stopped → vm.resumed across the two QEMU processes.
using System.Diagnostics;
using LiveUpdate.GuestContract;
using LiveUpdate.Kernel;
using LuQemu;

namespace LiveUpdate.Guest.Scenarios;

public sealed class VmOldWay(GuestPlan plan, ResultChannel results)
{
    private const string DataDisk = "/dev/vda";
    private const string PayloadDisk = "/dev/vdb";
    private const string DataMount = "/mnt/vm";
    private const string Payload = "/opt/vmm";
    private static readonly string StateFile = Path.Combine(DataMount, "vm.state");
    private static readonly string StoppedAtFile = Path.Combine(DataMount, "vm.stopped-at");
    private static readonly RunDirectory Run = new("/run/luqemu/vm");

    private int Mib => int.TryParse(plan.CommandLine.Get(GuestCommandLineKeys.VmMib), out int mib) && mib > 0 ? mib : 64;

    private ulong? FillSeed => ulong.TryParse(plan.CommandLine.Get(GuestCommandLineKeys.VmFillSeed), out ulong seed) ? seed : null;

    /// <summary>The VM as vm-update defines it (luqemu's command line there), on the payload disk's QEMU.</summary>
    private VmDefinition Vm => new(Mib, 1, $"/boot/{plan.Chain[0]}/bzImage", $"{Payload}/vm-guest.cpio", "console=ttyS0 quiet", $"{Payload}/usr/bin/qemu-system-x86_64");

    public async Task<bool> RunAsync()
    {
        if (!plan.ColdReboot || plan.Chain.Count != 2)
        {
            await results.StepResultAsync(StepNames.VmOldWay.VmStart, false, 0, "vm-oldway needs two hops crossed by a cold reboot (lu.cold=1, VmRunRequest.ColdRebootBetweenHops)");
            return false;
        }
        await MountAsync("-o", "ro", PayloadDisk, Payload);
        await MountAsync(DataDisk, DataMount);
        Environment.SetEnvironmentVariable("LD_LIBRARY_PATH", $"{Payload}/lib/x86_64-linux-gnu");
        Directory.CreateDirectory(Run.Path);
        using var forwarding = new CancellationTokenSource();
        var ticks = Task.Run(() => VmConsoleTicks.ForwardAsync(results, Run.ConsoleLog, forwarding.Token));
        bool ok = plan.IsFirstHop ? await BeforeAsync() : await AfterAsync();
        await forwarding.CancelAsync();
        await ticks;
        await GuestCommand.RunAsync("/bin/umount", DataMount);
        return ok;
    }

    private async Task<bool> BeforeAsync()
    {
        QemuProcess? qemu = null;
        var ram = MemFd.Create("vm-oldway-ram");
        ram.SetSize((long)Mib << 20);
        bool ok = await results.StepAsync(StepNames.VmOldWay.VmStart, async () =>
        {
            var clock = Stopwatch.StartNew();
            if (FillSeed is { } seed) RamFill.Fill(ram, seed);
            double fillMs = clock.Elapsed.TotalMilliseconds;
            qemu = await QemuProcess.StartAsync(Vm, ram, null, Run, false, CancellationToken.None, ramInStream: true);
            await qemu.RunAsync(CancellationToken.None);
            return $"VM booted cold: {Mib} MiB RAM{(FillSeed is null ? "" : $" filled ({fillMs:F0} ms)")}, QEMU running after {clock.Elapsed.TotalMilliseconds:F0} ms";
        });
        ok = ok && await results.StepAsync(StepNames.VmOldWay.Running, async () =>
        {
            await VmConsoleTicks.WaitAsync(Run.ConsoleLog, 3, TimeSpan.FromSeconds(600), () => "(see the console)");
            return File.ReadAllText(Run.ConsoleLog);
        });
        ok = ok && await results.StepAsync(StepNames.VmOldWay.Save, async () =>
        {
            var clock = Stopwatch.StartNew();
            var stoppedAt = await qemu!.PauseAsync(CancellationToken.None);
            await results.MarkAsync(StepNames.VmOldWay.StoppedMark);
            double stopMs = clock.Elapsed.TotalMilliseconds;
            long bytes;
            await using (var file = new FileStream(StateFile, FileMode.Create, FileAccess.Write))
            {
                await qemu.MigrateToAsync(file.SafeFileHandle, CancellationToken.None);
                file.Flush(flushToDisk: true);
                bytes = new FileInfo(StateFile).Length;
            }
            double savedMs = clock.Elapsed.TotalMilliseconds;
            await qemu.QuitAsync();
            await File.WriteAllTextAsync(StoppedAtFile, stoppedAt.ToUnixTimeMilliseconds().ToString());
            return $"vCPUs stopped at {stoppedAt:O} ({stopMs:F0} ms); the whole VM ({bytes} bytes, RAM included) migrated to {StateFile} and fsynced in {savedMs - stopMs:F0} ms; QEMU quit";
        });
        if (qemu is not null) await qemu.DisposeAsync();
        ram.Dispose();
        return ok;
    }

    private async Task<bool> AfterAsync()
    {
        QemuProcess? qemu = null;
        using var ram = MemFd.Create("vm-oldway-ram");
        ram.SetSize((long)Mib << 20);
        bool ok = await results.StepAsync(StepNames.VmOldWay.Restore, async () =>
        {
            var clock = Stopwatch.StartNew();
            await using var file = new FileStream(StateFile, FileMode.Open, FileAccess.Read);
            qemu = await QemuProcess.StartAsync(Vm, ram, file.SafeFileHandle, Run, false, CancellationToken.None, ramInStream: true);
            double loadedMs = clock.Elapsed.TotalMilliseconds;
            var resumedAt = await qemu.RunAsync(CancellationToken.None);
            await results.MarkAsync(StepNames.VmOldWay.ResumedMark);
            var stoppedAt = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(await File.ReadAllTextAsync(StoppedAtFile)));
            return $"QEMU started and loaded {file.Length} bytes from {StateFile} in {loadedMs:F0} ms; vCPUs running at {resumedAt:O}; "
                + $"stop → resume by QEMU's clocks {(resumedAt - stoppedAt).TotalMilliseconds:F0} ms (CLOCK_REALTIME of two boots: ±1 s)";
        });
        ok = ok && await results.StepAsync(StepNames.VmOldWay.Continuity, async () =>
        {
            var console = await VmConsoleTicks.WaitAsync(Run.ConsoleLog, 7, TimeSpan.FromSeconds(300), () => "(see the console)");
            if (console.Seeds.Count > 0) throw new InvalidOperationException($"the VM booted again: {File.ReadAllText(Run.ConsoleLog)}");
            return File.ReadAllText(Run.ConsoleLog);
        });
        if (qemu is not null)
        {
            await qemu.QuitAsync();
            await qemu.DisposeAsync();
        }
        return ok;
    }

    private static async Task MountAsync(params string[] arguments)
    {
        Directory.CreateDirectory(arguments[^1]);
        var mount = await GuestCommand.RunAsync("/bin/mount", ["-t", "ext4", .. arguments]);
        if (mount.ExitCode != 0) throw new InvalidOperationException($"mount {string.Join(' ', arguments)} failed: {mount.Combined}");
    }
}
