// RunningSystemPaths: where preflight reads the running kernel's side of the handover —
// release, config, command line, its image in /boot, KHO debugfs, lockdown, memory and
// NUMA nodes. Defaults are the real /proc and /sys files; tests point them at a fake tree.
namespace LiveUpdate.Preflight;

public sealed record RunningSystemPaths(
    string OsRelease = "/proc/sys/kernel/osrelease",
    string Config = LiveUpdate.Kernel.KernelConfig.ProcPath,
    string CommandLine = LiveUpdate.Kernel.KernelCommandLine.ProcPath,
    string BootDirectory = "/boot",
    string KhoDebugfs = KhoDebugfsState.DefaultDirectory,
    string Lockdown = "/sys/kernel/security/lockdown",
    string MemInfo = "/proc/meminfo",
    string NodeDirectory = "/sys/devices/system/node");
