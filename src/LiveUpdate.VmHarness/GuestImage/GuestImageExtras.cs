// GuestImageExtras: what one scenario's initramfs carries beyond the base image. The base (busybox,
// the four native binaries and their libraries, the chain's kernels) is what the luod path needs;
// anything more is paid on every kexec of every scenario — 7.2's purgatory hashes the initramfs,
// the next kernel unpacks it — so the kernel selftests go only into kernel-selftests' image and criu with its
// libraries are not copied from the host at all (criu-memcached runs sid's in a Debian root, CriuRoot); vm-update gets luqemu in its image and QEMU
// with its libraries, firmware and the small VM on a read-only payload disk (VmmPayload).
using LiveUpdate.GuestContract;

namespace LiveUpdate.VmHarness.GuestImage;

public sealed record GuestImageExtras(bool KernelSelftests, IReadOnlyList<string> Tools, IReadOnlyList<GuestLibrary> ToolLibraries)
{
    public static readonly GuestImageExtras None = new(false, [], []);

    /// <summary>A read-only payload disk the scenario's guest mounts from /dev/vda (vm-update: QEMU and the small VM), when it has one.</summary>
    public string? PayloadDisk { get; init; }

    /// <summary>The Debian root scenarios: the root disk (SystemdRoot, CriuRoot) /init switches to, attached as /dev/vda.</summary>
    public string? SystemRootDisk { get; init; }

    /// <summary>What runs as PID 1 in <see cref="SystemRootDisk"/>: "systemd" or "lu-guest" (GuestCommandLineKeys.RootInit).</summary>
    public string RootInit { get; init; } = "systemd";

    /// <summary>The scenario this image is for: GuestApps with OnlyForScenario go only into its image.</summary>
    public string? Scenario { get; init; }

    /// <summary>The scenario that runs the kernel's own LUO selftests (/opt/selftests/&lt;tag&gt;/).</summary>
    public const string SelftestsScenario = ScenarioNames.KernelSelftests;

    /// <summary>The extras <paramref name="scenario"/> needs; host tools it names are copied to the guest's /bin with their libraries.</summary>
    public static async Task<GuestImageExtras> ForScenarioAsync(string scenario, Host.RepositoryLayout repository, HarnessCache cache, CancellationToken cancellationToken,
        Func<Task<string>>? debianPackage = null, IProgress<string>? progress = null)
    {
        if (scenario is ScenarioNames.SystemdUpdate)
        {
            string package = await (debianPackage ?? throw new HarnessException($"{scenario} installs LiveUpdate's Debian package, but no package was built"))().ConfigureAwait(false);
            return new GuestImageExtras(false, [], [])
            {
                SystemRootDisk = await SystemdRoot.EnsureDiskAsync(cache, package, progress, cancellationToken).ConfigureAwait(false),
                Scenario = scenario,
            };
        }
        if (scenario is ScenarioNames.CriuMemcached)
        {
            return new GuestImageExtras(false, [], [])
            {
                SystemRootDisk = await CriuRoot.EnsureDiskAsync(cache, progress, cancellationToken).ConfigureAwait(false),
                RootInit = CriuRoot.RootInit,
                Scenario = scenario,
            };
        }
        if (scenario is ScenarioNames.VmUpdate or ScenarioNames.VmOldWay)
            return await VmmPayload.ExtrasAsync(scenario, repository, cache, cancellationToken).ConfigureAwait(false);
        return new GuestImageExtras(scenario == SelftestsScenario, [], []) { Scenario = scenario };
    }
}
