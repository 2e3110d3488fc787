// GuestImageExtras: what one scenario's initramfs carries beyond the base image. The base (busybox,
// the four native binaries and their libraries, the chain's kernels) is what the luod path needs;
// anything more is paid on every kexec of every scenario — 7.2's purgatory hashes the initramfs,
// the next kernel unpacks it — so the kernel selftests go only into kernel-selftests' image and criu with its
// libraries (≈ 8 MiB) only into the criu scenario's; vm-update gets luqemu in its image and QEMU
// with its libraries, firmware and the small VM on a read-only payload disk (VmmPayload).
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness.Benchmarks;

namespace LiveUpdate.VmHarness.GuestImage;

public sealed record GuestImageExtras(bool KernelSelftests, IReadOnlyList<string> Tools, IReadOnlyList<GuestLibrary> ToolLibraries)
{
    public static readonly GuestImageExtras None = new(false, [], []);

    /// <summary>A read-only payload disk the scenario's guest mounts from /dev/vda (vm-update: QEMU and the small VM), when it has one.</summary>
    public string? PayloadDisk { get; init; }

    /// <summary>The systemd scenarios: the Debian root disk (SystemdRoot) /init switches to, attached as /dev/vda.</summary>
    public string? SystemRootDisk { get; init; }

    /// <summary>The scenario this image is for: GuestApps with OnlyForScenario go only into its image.</summary>
    public string? Scenario { get; init; }

    /// <summary>The scenario that runs the kernel's own LUO selftests (/opt/selftests/&lt;tag&gt;/).</summary>
    public const string SelftestsScenario = ScenarioNames.KernelSelftests;

    public const string CriuTool = "/usr/sbin/criu";

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
        if (scenario is ScenarioNames.VmUpdate or ScenarioNames.VmOldWay)
            return await VmmPayload.ExtrasAsync(scenario, repository, cache, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<string> tools = scenario == CriuComparison.Scenario && File.Exists(CriuTool) ? [CriuTool] : [];
        var libraries = tools.Count == 0 ? [] : await SharedLibraryCollector.CollectAsync(tools, includeDlopened: false, cancellationToken).ConfigureAwait(false);
        return new GuestImageExtras(scenario == SelftestsScenario, tools, libraries) { Scenario = scenario };
    }
}
