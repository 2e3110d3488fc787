// VmRunRequest: what to run: a scenario name, the chain of kernel tags (series like "7.2") to
// boot and kexec through, a hard timeout and the guest memory; optionally pinned package versions.
namespace LiveUpdate.VmHarness;

public sealed record VmRunRequest(string Scenario, IReadOnlyList<string> Chain)
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(10);

    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    public int MemoryMiB { get; init; } = QemuLaunch.DefaultMemoryMiB;

    /// <summary>Series → Debian package version to use instead of the highest available one.</summary>
    public IReadOnlyDictionary<string, string> PackageVersions { get; init; } = new Dictionary<string, string>();
}
