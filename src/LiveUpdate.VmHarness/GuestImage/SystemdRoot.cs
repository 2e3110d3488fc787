// SystemdRoot: the Debian sid root file system of the systemd scenarios, where real systemd
// 262 is PID 1. mmdebstrap builds it once (≈ 50 s, ≈ 150 MB; sid's Release file is past its
// Valid-Until, hence the apt option) into the harness cache, keyed by the package list; each
// run's disk is that tree plus what the scenario adds (the LiveUpdate Debian package, the
// lu-guest unit), made into an ext4 image with mkfs.ext4 -d and cached by content. QEMU attaches
// it with snapshot=on: writes persist across the guest's kexecs (one QEMU process) and vanish
// with QEMU, so the cached image stays clean. The initramfs's /init mounts it and switches to
// systemd there (vm/guest-init.sh); the kernels and the native binaries come from the initramfs.
using System.Security.Cryptography;
using System.Text;
using LiveUpdate.VmHarness.Host;

namespace LiveUpdate.VmHarness.GuestImage;

public static class SystemdRoot
{
    /// <summary>
    /// What goes into the root beyond Debian's essential set: systemd as init, udev, D-Bus (logind's
    /// inhibitors, PID 1's bus API), mount (systemd's .mount units exec /usr/bin/mount: without it
    /// /tmp and debugfs failed), kexec-tools (an operator's own `kexec -s -l` before `systemctl
    /// kexec`) and the LiveUpdate package's one dependency beyond libc, OpenSSL (`dpkg -i` does not
    /// fetch dependencies; apt would). Plus the libraries systemd 262 dlopens and only Recommends
    /// (mmdebstrap installs no Recommends, apt does): without libseccomp2 SystemCallFilter= and
    /// RestrictNamespaces= are silently not applied (the first run: luod had Seccomp 0), without
    /// libbpf1 the BPF-based settings; the others as a default install has them.
    /// </summary>
    public static readonly IReadOnlyList<string> Packages =
    [
        "systemd-sysv", "udev", "dbus", "mount", "kexec-tools", "libssl3t64",
        "libseccomp2", "libbpf1", "libacl1", "libpam0g", "libcrypt1", "libkmod2", "libzstd1", "libaudit1", "libapparmor1", "libselinux1",
    ];

    /// <summary>The guest's device for the root disk (the first virtio disk).</summary>
    public const string GuestDevice = "/dev/vda";

    /// <summary>Where the package lands in the root (the scenario installs it with dpkg -i).</summary>
    public const string PackageInRoot = "/root/liveupdate.deb";

    /// <summary>The unit that runs this hop of the scenario under systemd.</summary>
    public const string GuestUnit = "lu-guest.service";

    private const string GuestUnitText = """
        # lu-guest.service: the VM harness's in-guest half under real systemd (the systemd
        # scenarios). /init copied the native binaries and kernels from the initramfs into this root.
        [Unit]
        Description=LiveUpdate VM harness: this hop of the scenario
        After=basic.target dbus.service

        [Service]
        Type=exec
        ExecStart=/opt/liveupdate/lu-guest
        Environment=HOME=/root TMPDIR=/tmp DOTNET_gcServer=0 DOTNET_gcConcurrent=0 DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
        StandardOutput=journal+console
        StandardError=journal+console

        [Install]
        WantedBy=multi-user.target
        """;

    /// <summary>The root disk with <paramref name="package"/> in it, built unless cached.</summary>
    public static async Task<string> EnsureDiskAsync(HarnessCache cache, string package, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        string tree = await EnsureTreeAsync(cache, progress, cancellationToken).ConfigureAwait(false);
        await using var packageStream = File.OpenRead(package);
        string packageHash = Convert.ToHexStringLower(await SHA256.HashDataAsync(packageStream, cancellationToken).ConfigureAwait(false));
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{Path.GetFileName(tree)}\n{packageHash}\n{GuestUnitText}\nno-coldplug")))[..12];
        string directory = Path.Combine(cache.Root, "rootfs");
        string disk = Path.Combine(directory, $"disk-{hash}.img");
        if (File.Exists(disk)) return disk;

        progress?.Report($"systemd root disk: {Path.GetFileName(tree)} + {Path.GetFileName(package)}");
        string stage = Path.Combine(directory, $"stage-{Environment.ProcessId}");
        if (Directory.Exists(stage)) Directory.Delete(stage, recursive: true);
        try
        {
            await new ExternalCommand("cp", ["-a", tree, stage]).CaptureCheckedAsync($"copying the root tree needs free space under {directory}.", cancellationToken).ConfigureAwait(false);
            File.Copy(package, Path.Combine(stage, PackageInRoot.TrimStart('/')), overwrite: true);
            string units = Path.Combine(stage, "etc/systemd/system");
            await File.WriteAllTextAsync(Path.Combine(units, GuestUnit), GuestUnitText.Replace("\r", "") + "\n", cancellationToken).ConfigureAwait(false);
            Directory.CreateDirectory(Path.Combine(units, "multi-user.target.wants"));
            File.CreateSymbolicLink(Path.Combine(units, "multi-user.target.wants", GuestUnit), "/etc/systemd/system/" + GuestUnit);
            // udev's coldplug took 42 s of every TCG boot (the first run) and sysinit.target — so
            // luod.service — waits for it; nothing here needs it (devtmpfs makes /dev/liveupdate
            // and the disks). On a real host it is on luod's path after a kexec too: see docs/protocol.md.
            File.CreateSymbolicLink(Path.Combine(units, "systemd-udev-trigger.service"), "/dev/null");

            await DebianRootTree.MakeDiskAsync(stage, disk, "lu-root", 256L << 20, cancellationToken).ConfigureAwait(false); // room for the journal, /var and dpkg -i
            HarnessCache.PruneOldest(directory, 3, path => Path.GetFileName(path).StartsWith("disk-", StringComparison.Ordinal), protect: disk);
            return disk;
        }
        finally
        {
            if (Directory.Exists(stage)) Directory.Delete(stage, recursive: true);
        }
    }

    /// <summary>The Debian tree (cache/rootfs/sid-&lt;hash&gt;/), made by mmdebstrap and adjusted for the harness, unless cached.</summary>
    public static Task<string> EnsureTreeAsync(HarnessCache cache, IProgress<string>? progress, CancellationToken cancellationToken) =>
        DebianRootTree.EnsureAsync(cache, DebianRootTree.Suite, Packages, "v1", Adjust, progress, cancellationToken);

    /// <summary>What a harness guest needs of the tree: an identity (no first-boot prompts), a persistent journal (hop 1 reads hop 0's), no login prompts on the serial consoles.</summary>
    private static void Adjust(string root)
    {
        File.WriteAllText(Path.Combine(root, "etc/machine-id"), "4c5545c0d1ce4e7e9b1ab3a5e1d0c0de\n");
        File.WriteAllText(Path.Combine(root, "etc/hostname"), "lu-guest\n");
        Directory.CreateDirectory(Path.Combine(root, "var/log/journal"));
        string units = Path.Combine(root, "etc/systemd/system");
        Directory.CreateDirectory(units);
        foreach (var unit in new[] { "serial-getty@ttyS0.service", "serial-getty@ttyS1.service", "getty@tty1.service", "console-getty.service", "systemd-firstboot.service" })
        {
            string mask = Path.Combine(units, unit);
            if (!File.Exists(mask)) File.CreateSymbolicLink(mask, "/dev/null");
        }
        Directory.CreateDirectory(Path.Combine(root, "opt/liveupdate"));
    }
}
