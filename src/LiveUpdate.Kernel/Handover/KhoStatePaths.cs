// KhoStatePaths: where KhoStateReader looks — debugfs's kho directory, the mount table, the
// command line, the kernel config and the release — overridable so host tests read captured
// trees instead of the machine's.
namespace LiveUpdate.Kernel.Handover;

public sealed record KhoStatePaths(
    string KhoDebugfs = KhoStatePaths.DefaultKhoDebugfs,
    string DebugfsRoot = "/sys/kernel/debug",
    string Mounts = "/proc/self/mounts",
    string CommandLine = KernelCommandLine.ProcPath,
    string Config = KernelConfig.ProcPath,
    string OsRelease = "/proc/sys/kernel/osrelease")
{
    public const string DefaultKhoDebugfs = "/sys/kernel/debug/kho";
}
