// GuestApp: one .NET program published for the guest. Each is self-contained and trimmed, so each
// gets its own directory (trimmed framework assemblies differ per app and must not be shared);
// the guest reaches it as /opt/liveupdate/<Executable>, a symlink into /opt/liveupdate/<Subdirectory>/.
using LiveUpdate.VmHarness.Host;

namespace LiveUpdate.VmHarness.GuestImage;

public sealed record GuestApp(string Executable, string Subdirectory, string Project, string? OnlyForScenario = null)
{
    /// <summary>lu-guest (src/LiveUpdate.Guest), luoctl (src/LiveUpdate.Cli), luod (src/LiveUpdate.Daemon), lucache (samples/LuCache), luqemu (samples/LuQemu) and lucriu (samples/LuCriu).</summary>
    public static IReadOnlyList<GuestApp> All(RepositoryLayout repository) =>
    [
        new("lu-guest", "guest", repository.GuestProject),
        new("luoctl", "cli", repository.CliProject),
        new("luod", "daemon", repository.DaemonProject),
        new("lucache", "cache", repository.LuCacheProject),
        // Only vm-update's image carries luqemu: every other scenario's initramfs stays as it was.
        new("luqemu", "qemu", repository.LuQemuProject, OnlyForScenario: GuestContract.ScenarioNames.VmUpdate),
        // Only criu-memcached's image carries lucriu (the CRIU participant).
        new("lucriu", "criu", repository.LuCriuProject, OnlyForScenario: GuestContract.ScenarioNames.CriuMemcached),
    ];
}
