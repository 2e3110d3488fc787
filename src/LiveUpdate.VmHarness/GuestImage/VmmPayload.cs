// VmmPayload: what vm-update's guest image carries for the VMM workload, and no other image does:
// Debian's QEMU (the host's qemu-system-x86 package: the same Debian release as every library the
// guest gets from the host) at its own paths, so it finds its TCG accelerator module and firmware
// as on the host; the libraries of both (≈ 30 MiB); and the small VM's initramfs (busybox +
// vm/vm-guest-init.sh, uncompressed: the nested TCG kernel unpacks it without decompressing),
// made here. The VM boots the guest's own kernel image (/boot/<tag>/bzImage), so no second kernel
// is built. luqemu itself is a GuestApp marked for this scenario.
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness.Host;

namespace LiveUpdate.VmHarness.GuestImage;

public static class VmmPayload
{
    public const string Qemu = "/usr/bin/qemu-system-x86_64";

    /// <summary>QEMU loads its accelerators as modules (strace of a TCG boot: it opens this one).</summary>
    public const string TcgModule = "/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so";

    /// <summary>The firmware a -kernel boot of the pc machine reads (SeaBIOS, the Linux loader ROM, the vAPIC ROM).</summary>
    public static readonly IReadOnlyList<string> Firmware = ["/usr/share/seabios/bios-256k.bin", "/usr/share/qemu/linuxboot_dma.bin", "/usr/share/qemu/kvmvapic.bin"];

    /// <summary>Where the small VM's initramfs is in the guest (src/LiveUpdate.Guest/Scenarios/VmUpdate.cs).</summary>
    public const string VmImageGuestPath = "/opt/luqemu/vm-guest.cpio";

    public static async Task<GuestImageExtras> ExtrasAsync(RepositoryLayout repository, CancellationToken cancellationToken)
    {
        var files = new[] { Qemu, TcgModule }.Concat(Firmware).ToList();
        var missing = files.Where(f => !File.Exists(f)).ToList();
        if (missing.Count > 0)
            throw new HarnessException($"vm-update runs Debian's QEMU inside the guest, but {string.Join(", ", missing)} is missing on this host. {HostPrerequisites.InstallHint}");
        var libraries = await SharedLibraryCollector.CollectAsync([Qemu, TcgModule], includeDlopened: false, cancellationToken).ConfigureAwait(false);
        byte[] vmImage = await BuildVmImageAsync(repository.VmGuestInitScript, InitramfsContents.DefaultBusybox, cancellationToken).ConfigureAwait(false);
        return new GuestImageExtras(false, [], libraries)
        {
            HostFiles = files,
            MadeFiles = [(VmImageGuestPath, vmImage)],
            Scenario = ScenarioNames.VmUpdate,
        };
    }

    /// <summary>The small VM's initramfs: /init (vm-guest-init.sh), busybox, and the mount points it uses.</summary>
    public static async Task<byte[]> BuildVmImageAsync(string initScript, string busybox, CancellationToken cancellationToken)
    {
        foreach (var required in new[] { initScript, busybox })
            if (!File.Exists(required)) throw new HarnessException($"{required} is missing (the VM's init: restore vm/vm-guest-init.sh from git; busybox: {HostPrerequisites.InstallHint})");
        using var buffer = new MemoryStream();
        await using (var writer = new InitramfsWriter(buffer))
        {
            foreach (var directory in new[] { "bin", "dev", "proc", "tmp" })
                await writer.AddDirectoryAsync(directory, cancellationToken: cancellationToken).ConfigureAwait(false);
            await writer.AddCharacterDeviceAsync("dev/console", 0x180, 5, 1, cancellationToken).ConfigureAwait(false);
            await writer.AddFileFromHostAsync("init", initScript, 0x1ED, cancellationToken).ConfigureAwait(false);
            await writer.AddFileFromHostAsync("bin/busybox", busybox, 0x1ED, cancellationToken).ConfigureAwait(false);
            await writer.FinishAsync(cancellationToken).ConfigureAwait(false);
        }
        return buffer.ToArray();
    }
}
