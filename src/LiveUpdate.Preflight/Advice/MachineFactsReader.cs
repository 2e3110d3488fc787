// MachineFactsReader: reads this machine's MachineFacts through the kernel boundary's readers
// (/proc/cmdline, /proc/sys/kernel/printk, /proc/consoles, /dev/kmsg, shmem_enabled, /proc/meminfo,
// /sys/bus) and KHO's debugfs. luod's share (its sessions) is asked by the caller, which has the
// client, and passed in.
using LiveUpdate.Kernel;

namespace LiveUpdate.Preflight.Advice;

public static class MachineFactsReader
{
    public static MachineFacts ReadRunning(RunningSystemPaths? paths = null)
    {
        paths ??= new RunningSystemPaths();
        string? release = null, cmdline = null;
        try { release = File.Exists(paths.OsRelease) ? File.ReadAllText(paths.OsRelease).Trim() : null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        try { cmdline = File.Exists(paths.CommandLine) ? File.ReadAllText(paths.CommandLine) : null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        var debugfs = KhoDebugfsState.TryRead(paths.KhoDebugfs);
        return new MachineFacts
        {
            RunningRelease = release,
            CommandLine = cmdline is null ? null : new KernelCommandLine(cmdline),
            LogLevel = ConsoleLogLevel.TryReadRunning(),
            Consoles = ActiveConsoles.TryReadRunning(),
            BootLog = KernelLog.ReadAll(),
            ShmemPolicy = ShmemHugePagePolicy.TryReadRunning(),
            Memory = MemoryInfo.TryReadRunning(paths.MemInfo),
            ScratchSizes = debugfs is { ScratchSizes.Count: > 0 } ? debugfs.ScratchSizes : null,
            NumaNodes = ReferenceKernel.CountNodes(paths.NodeDirectory),
            Devices = BoundDevices.ReadRunning(),
        };
    }
}
