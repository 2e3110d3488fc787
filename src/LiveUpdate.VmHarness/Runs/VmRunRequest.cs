// VmRunRequest: what to run: a scenario name, the chain of kernel tags (series like "7.2") to
// boot and kexec through, a hard timeout and the guest memory; optionally pinned package versions,
// port forwards, a disk, cold reboots between hops and a live observer of the guest's report lines.
using LiveUpdate.VmHarness.GuestImage;
using LiveUpdate.VmHarness.Qemu;

namespace LiveUpdate.VmHarness.Runs;

public sealed record VmRunRequest(string Scenario, IReadOnlyList<string> Chain)
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(10);

    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    public int MemoryMiB { get; init; } = QemuLaunch.DefaultMemoryMiB;

    /// <summary>Scenario parameters appended to the kernel command line (e.g. "lu.demo.mib=64"); kept across kexecs.</summary>
    public IReadOnlyList<string> ScenarioParameters { get; init; } = [];

    /// <summary>Guest TCP ports reachable from the host (adds a virtio NIC on QEMU's user-mode network).</summary>
    public IReadOnlyList<PortForward> Forwards { get; init; } = [];

    /// <summary>A raw disk image for the guest's /dev/vda, kept across every boot of the run.</summary>
    public string? DiskImage { get; init; }

    /// <summary>
    /// Hops are crossed by a cold reboot instead of a kexec: the guest ends a hop by rebooting,
    /// QEMU exits and the harness starts it again on the next hop's kernel (lu.cold=1 tells lu-guest).
    /// </summary>
    public bool ColdRebootBetweenHops { get; init; }

    /// <summary>How the initramfs is stored (uncompressed unless a measurement asks otherwise).</summary>
    public InitramfsCompression InitramfsCompression { get; init; } = InitramfsCompression.None;

    /// <summary>Boots with the kernel's `quiet` (ScenarioCommandLine.QuietOption); kept across kexecs.</summary>
    public bool QuietConsole { get; init; }

    /// <summary>The fixed kernel options (ScenarioCommandLine.FixedOptions unless a blackout lever changes some); kept across kexecs.</summary>
    public string FixedOptions { get; init; } = ScenarioCommandLine.FixedOptions;

    /// <summary>Sees every report line as it arrives, stamped with the host clock (for live progress and timing).</summary>
    public Action<ObservedGuestLine>? OnGuestLine { get; init; }

    /// <summary>Series → Debian package version to use instead of the highest available one.</summary>
    public IReadOnlyDictionary<string, string> PackageVersions { get; init; } = new Dictionary<string, string>();
}
