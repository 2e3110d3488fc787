// CriuRoot: the Debian sid root of the CRIU scenario (criu-memcached): Debian's criu 4.x and
// memcached, unmodified, with sid's libc (criu ≥ 4.1 knows the vDSO layout of Linux ≥ 6.13; the
// host's Debian 12 has only criu 3.17 and glibc 2.36: docs/criu.md). Built once by mmdebstrap
// (≈ 30 s, ≈ 200 MB) and made into an ext4 image cached by its tree; QEMU attaches it as /dev/vda
// with snapshot=on (writes last across the guest's kexecs and vanish with QEMU), /init switches to
// it and runs lu-guest there as PID 1's only child (lu.root-init=lu-guest): criu needs a root that
// is really "/" (in a chroot it finds mounts with no parent and stops), and a program started
// through sid's ld.so from outside cannot be restored (the kernel refuses a new exe while the old
// one is mapped).
using System.Security.Cryptography;
using System.Text;
using LiveUpdate.VmHarness.Host;

namespace LiveUpdate.VmHarness.GuestImage;

public static class CriuRoot
{
    /// <summary>criu and memcached; their dependencies come with them (mmdebstrap resolves Depends).</summary>
    public static readonly IReadOnlyList<string> Packages = ["criu", "memcached"];

    /// <summary>What runs as PID 1 in it: a shell running lu-guest (vm/guest-init.sh).</summary>
    public const string RootInit = "lu-guest";

    public static async Task<string> EnsureDiskAsync(HarnessCache cache, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        string tree = await DebianRootTree.EnsureAsync(cache, "sid-criu", Packages, "v1", Adjust, progress, cancellationToken).ConfigureAwait(false);
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{Path.GetFileName(tree)}\ncriu-disk-v1")))[..12];
        string directory = Path.Combine(cache.Root, "rootfs");
        string disk = Path.Combine(directory, $"criu-disk-{hash}.img");
        if (File.Exists(disk)) return disk;
        progress?.Report($"criu root disk from {Path.GetFileName(tree)}");
        await DebianRootTree.MakeDiskAsync(tree, disk, "lu-criu", 64L << 20, cancellationToken).ConfigureAwait(false);
        HarnessCache.PruneOldest(directory, 2, path => Path.GetFileName(path).StartsWith("criu-disk-", StringComparison.Ordinal), protect: disk);
        return disk;
    }

    /// <summary>Mount points the harness uses in it (the binaries' and kernels' tmpfs, the data disk).</summary>
    private static void Adjust(string root)
    {
        File.WriteAllText(Path.Combine(root, "etc/hostname"), "lu-guest\n");
        Directory.CreateDirectory(Path.Combine(root, "opt/liveupdate"));
        Directory.CreateDirectory(Path.Combine(root, "boot"));
        Directory.CreateDirectory(Path.Combine(root, "mnt/criu-disk"));
    }
}
