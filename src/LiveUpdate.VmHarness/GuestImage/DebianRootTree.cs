// DebianRootTree: a Debian sid root file system made by mmdebstrap (variant essential plus a package
// list) into the harness cache, once per package list, and the ext4 disk images made from a copy of
// it with mkfs.ext4 -d. The systemd scenarios' root (SystemdRoot) and the CRIU scenario's (CriuRoot)
// are two such trees. sid's Release file is past its Valid-Until, hence the apt option; the
// system's apt sources are never touched (mmdebstrap takes the mirror on its command line).
using System.Security.Cryptography;
using System.Text;
using LiveUpdate.VmHarness.Host;

namespace LiveUpdate.VmHarness.GuestImage;

public static class DebianRootTree
{
    public static readonly HostRequirement Mmdebstrap = new("mmdebstrap", "mmdebstrap");

    public const string Suite = "sid";

    /// <summary>
    /// The tree cache/rootfs/&lt;name&gt;-&lt;hash&gt;/ for <paramref name="packages"/> (hash of the mmdebstrap
    /// arguments and <paramref name="version"/>), built and then <paramref name="adjust"/>ed unless cached.
    /// </summary>
    public static async Task<string> EnsureAsync(HarnessCache cache, string name, IReadOnlyList<string> packages, string version, Action<string> adjust,
        IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var arguments = new List<string>
        {
            "--variant=essential", "--include=" + string.Join(',', packages),
            "--aptopt=Acquire::Check-Valid-Until \"false\"", Suite,
        };
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', arguments) + "\n" + version)))[..12];
        string directory = Path.Combine(cache.Root, "rootfs");
        string tree = Path.Combine(directory, $"{name}-{hash}");
        if (Directory.Exists(tree)) return tree;

        HostPrerequisites.Require($"the Debian root ({name})", [Mmdebstrap]);
        Directory.CreateDirectory(directory);
        string partial = tree + ".partial";
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        progress?.Report($"mmdebstrap: Debian {Suite} with {string.Join(", ", packages)} (≈ 1 min, once) into {tree}");
        string log = Path.Combine(directory, $"{name}-{hash}.log");
        int code = await new ExternalCommand("mmdebstrap", [.. arguments, partial, "http://deb.debian.org/debian"])
            .RunToLogAsync(log, null, cancellationToken).ConfigureAwait(false);
        if (code != 0)
            throw new HarnessException($"mmdebstrap failed (exit {code}); its log: {log}. It needs the Debian mirror (http://deb.debian.org) and root.");
        adjust(partial);
        Directory.Move(partial, tree);
        return tree;
    }

    /// <summary>An ext4 image of <paramref name="stage"/> at <paramref name="disk"/>, with room to spare for writes (journal, /var, images).</summary>
    public static async Task MakeDiskAsync(string stage, string disk, string label, long spareBytes, CancellationToken cancellationToken)
    {
        HostPrerequisites.Require($"the Debian root disk '{label}' (ext4 image)", [Benchmarks.BlackoutBenchmark.Mkfs]);
        long bytes = await DirectoryBytesAsync(stage, cancellationToken).ConfigureAwait(false);
        string partial = disk + ".partial";
        await using (var image = new FileStream(partial, FileMode.Create, FileAccess.Write))
            image.SetLength(bytes + bytes / 2 + spareBytes);
        await new ExternalCommand("mkfs.ext4", ["-q", "-F", "-L", label, "-d", stage, partial])
            .CaptureCheckedAsync($"the root disk needs mkfs.ext4 with -d (e2fsprogs ≥ 1.43) and free space under {Path.GetDirectoryName(disk)}.", cancellationToken).ConfigureAwait(false);
        File.Move(partial, disk, overwrite: true);
    }

    private static async Task<long> DirectoryBytesAsync(string directory, CancellationToken cancellationToken)
    {
        var result = await new ExternalCommand("du", ["-sb", directory]).CaptureCheckedAsync("du is part of coreutils.", cancellationToken).ConfigureAwait(false);
        return long.Parse(result.StandardOutput.Split('\t')[0], System.Globalization.CultureInfo.InvariantCulture);
    }
}
