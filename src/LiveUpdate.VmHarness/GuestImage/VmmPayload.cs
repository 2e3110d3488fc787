// VmmPayload: what vm-update's guest needs for the VMM workload and no other guest does. luqemu is a
// GuestApp marked for this scenario (in its initramfs, 4 MB). Debian's QEMU — the host's
// qemu-system-x86 package, the same Debian release as every library the guest gets from the host —
// with its TCG accelerator module, firmware and libraries (≈ 50 MiB), and the small VM's initramfs
// (busybox + vm/vm-guest-init.sh, uncompressed: the nested kernel unpacks it without decompressing)
// go on a read-only ext4 payload disk (/dev/vda, mounted at /opt/vmm), not into the initramfs: every
// byte of an initramfs is unpacked again by the next kernel inside the blackout (the first run with
// QEMU in an 87 MiB initramfs spent 10.3 s in the next kernel's boot against 3.8 s), while QEMU
// reads from the disk only the pages it maps. The tree keeps QEMU's own layout (usr/bin,
// usr/lib/x86_64-linux-gnu/qemu, usr/share/...) so QEMU finds its module and firmware relative to
// itself; its libraries go to lib/x86_64-linux-gnu (LD_LIBRARY_PATH). The VM boots the guest's own
// kernel image (/boot/<tag>/bzImage): no second kernel is built. The disk is cached by content.
using System.Security.Cryptography;
using System.Text;
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

    /// <summary>Where the guest mounts the payload disk, and what is on it (src/LiveUpdate.Guest/Scenarios/VmUpdate.cs).</summary>
    public const string GuestMountPoint = "/opt/vmm";
    public const string VmImageOnDisk = "vm-guest.cpio";
    public const string LibrariesOnDisk = "lib/x86_64-linux-gnu";

    public static async Task<GuestImageExtras> ExtrasAsync(string scenario, RepositoryLayout repository, HarnessCache cache, CancellationToken cancellationToken)
    {
        var files = new[] { Qemu, TcgModule }.Concat(Firmware).ToList();
        var missing = files.Where(f => !File.Exists(f)).ToList();
        if (missing.Count > 0)
            throw new HarnessException($"vm-update runs Debian's QEMU inside the guest, but {string.Join(", ", missing)} is missing on this host. {HostPrerequisites.InstallHint}");
        var libraries = await SharedLibraryCollector.CollectAsync([Qemu, TcgModule], includeDlopened: false, cancellationToken).ConfigureAwait(false);
        byte[] vmImage = await BuildVmImageAsync(repository.VmGuestInitScript, InitramfsContents.DefaultBusybox, cancellationToken).ConfigureAwait(false);
        string disk = await EnsureDiskAsync(cache, files, libraries, vmImage, cancellationToken).ConfigureAwait(false);
        return new GuestImageExtras(false, [], []) { PayloadDisk = disk, Scenario = scenario };
    }

    /// <summary>The payload disk for these files, made with mkfs.ext4 -d unless the cache has it.</summary>
    private static async Task<string> EnsureDiskAsync(HarnessCache cache, IReadOnlyList<string> files, IReadOnlyList<GuestLibrary> libraries, byte[] vmImage, CancellationToken cancellationToken)
    {
        var key = new StringBuilder();
        foreach (var file in files.Concat(libraries.Select(l => l.HostPath)).Order(StringComparer.Ordinal))
        {
            var info = new FileInfo(file);
            key.Append($"{file} {info.Length} {info.LastWriteTimeUtc.Ticks}\n");
        }
        key.Append(Convert.ToHexString(SHA256.HashData(vmImage)));
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key.ToString())))[..12];
        string directory = Path.Combine(cache.Root, "vmm");
        string disk = Path.Combine(directory, $"payload-{hash}.img");
        if (File.Exists(disk)) return disk;

        HostPrerequisites.Require("vm-update's payload disk (ext4 image)", [Benchmarks.BlackoutBenchmark.Mkfs]);
        Directory.CreateDirectory(directory);
        string stage = Path.Combine(directory, $"stage-{Environment.ProcessId}");
        if (Directory.Exists(stage)) Directory.Delete(stage, recursive: true);
        try
        {
            long bytes = 0;
            void Put(string relative, string hostFile)
            {
                string target = Path.Combine(stage, relative.TrimStart('/'));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(hostFile, target, overwrite: true);
                bytes += new FileInfo(target).Length;
            }
            foreach (var file in files) Put(file, file);
            foreach (var library in libraries) Put(Path.Combine(LibrariesOnDisk, Path.GetFileName(library.GuestPath)), library.HostPath);
            await File.WriteAllBytesAsync(Path.Combine(stage, VmImageOnDisk), vmImage, cancellationToken).ConfigureAwait(false);
            bytes += vmImage.Length;

            string partial = disk + ".partial";
            long size = bytes + (bytes / 4) + (16 << 20);
            await using (var image = new FileStream(partial, FileMode.Create, FileAccess.Write))
                image.SetLength(size);
            await new ExternalCommand("mkfs.ext4", ["-q", "-F", "-L", "vmm", "-d", stage, partial])
                .CaptureCheckedAsync($"vm-update's payload disk needs mkfs.ext4 with -d (e2fsprogs ≥ 1.43) and free space under {directory}.", cancellationToken).ConfigureAwait(false);
            File.Move(partial, disk, overwrite: true);
            return disk;
        }
        finally
        {
            Directory.Delete(stage, recursive: true);
        }
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
