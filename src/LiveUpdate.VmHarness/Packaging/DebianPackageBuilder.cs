// DebianPackageBuilder: builds liveupdate_<version>_amd64.deb, so luod can be installed with
// `dpkg -i` on a Debian host or guest running systemd. The binaries are the NativeAOT publishes
// of luod and luoctl the guest images use (GuestPayloadPublisher); the units and the tmpfiles.d
// entry are the repository's systemd/ files as they are; everything else comes from
// packaging/debian/. Built with `dpkg-deb --root-owner-group` (no fakeroot, no debian/rules)
// into cache/packages/<sha12 of every input>/ and reused while no input changes.
using System.Security.Cryptography;
using System.Text;
using LiveUpdate.VmHarness.GuestImage;
using LiveUpdate.VmHarness.Host;

namespace LiveUpdate.VmHarness.Packaging;

public sealed class DebianPackageBuilder
{
    public const string PackageName = "liveupdate";
    public const string Architecture = "amd64";

    /// <summary>Older packages beyond this many are deleted (≈ 10 MB each).</summary>
    public const int KeptPackages = 4;

    /// <summary>Changes whenever the layout or the way the package is built changes, so an old package is not reused.</summary>
    private const string BuildRecipe = "deb-1";

    private readonly HarnessCache cache;
    private readonly RepositoryLayout repository;
    private readonly IProgress<string>? progress;

    public DebianPackageBuilder(HarnessCache cache, RepositoryLayout repository, IProgress<string>? progress)
    {
        this.cache = cache;
        this.repository = repository;
        this.progress = progress;
    }

    /// <summary>Where each file goes (path in the package, mode) and where it comes from.</summary>
    private sealed record PackagedFile(string PackagePath, UnixFileMode Mode, string Source, bool Gzip = false);

    private const UnixFileMode DirectoryOrProgramMode = (UnixFileMode)0b111_101_101;
    private const UnixFileMode DataFileMode = (UnixFileMode)0b110_100_100;

    private IReadOnlyList<PackagedFile> StaticFiles()
    {
        string debian = repository.DebianPackagingDirectory, systemd = repository.SystemdDirectory;
        return
        [
            new("usr/lib/systemd/system/luod.service", DataFileMode, Path.Combine(systemd, "luod.service")),
            new("usr/lib/systemd/system/luod.socket", DataFileMode, Path.Combine(systemd, "luod.socket")),
            new("usr/lib/tmpfiles.d/luod.conf", DataFileMode, Path.Combine(systemd, "luod.conf")),
            new("usr/lib/systemd/logind.conf.d/50-luod.conf", DataFileMode, Path.Combine(debian, "50-luod.conf")),
            new("usr/share/doc/liveupdate/luod.json.example", DataFileMode, Path.Combine(debian, "luod.json.example")),
            new("usr/share/doc/liveupdate/copyright", DataFileMode, Path.Combine(debian, "copyright")),
            new("usr/share/man/man8/luod.8.gz", DataFileMode, Path.Combine(debian, "luod.8"), Gzip: true),
            new("usr/share/man/man8/luoctl.8.gz", DataFileMode, Path.Combine(debian, "luoctl.8"), Gzip: true),
        ];
    }

    private static readonly string[] MaintainerScripts = ["postinst", "prerm", "postrm"];

    /// <summary>Publishes (or reuses) luod and luoctl, then builds (or reuses) the package.</summary>
    public async Task<DebianPackage> BuildAsync(CancellationToken cancellationToken)
    {
        HostPrerequisites.Require("Building the Debian package", [new HostRequirement("dpkg-deb", "dpkg"), new HostRequirement("gzip", "gzip")]);
        var wanted = new[] { "luod", "luoctl" };
        var apps = GuestApp.All(repository).Where(a => wanted.Contains(a.Executable)).ToArray();
        var published = await new GuestPayloadPublisher(cache, repository, progress).PublishAppsAsync(apps, cancellationToken).ConfigureAwait(false);
        string luod = published.Single(p => p.App.Executable == "luod").ExecutablePath;
        string luoctl = published.Single(p => p.App.Executable == "luoctl").ExecutablePath;

        var source = await PackageVersion.ReadAsync(repository, cancellationToken).ConfigureAwait(false);
        var files = StaticFiles()
            .Prepend(new PackagedFile("usr/bin/luoctl", DirectoryOrProgramMode, luoctl))
            .Prepend(new PackagedFile("usr/lib/liveupdate/luod", DirectoryOrProgramMode, luod))
            .ToArray();
        string key = InputsHash(source, files);
        string directory = cache.PackageDirectory(key);
        string debPath = Path.Combine(directory, $"{PackageName}_{source.DebianVersion}_{Architecture}.deb");

        using (await CacheLock.AcquireAsync(cache.LockFile("debian-package"), "the Debian package build", progress, cancellationToken).ConfigureAwait(false))
        {
            if (File.Exists(debPath))
            {
                Directory.SetLastWriteTimeUtc(directory, DateTime.UtcNow);
                progress?.Report($"reusing {Path.GetFileName(debPath)} (its inputs are unchanged)");
                return new DebianPackage(debPath, source.DebianVersion);
            }
            progress?.Report($"building {Path.GetFileName(debPath)} (dpkg-deb)");
            var staging = directory + $".partial-{Environment.ProcessId}";
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
            string root = Path.Combine(staging, "root");
            await StageAsync(root, source, files, cancellationToken).ConfigureAwait(false);
            string built = Path.Combine(staging, Path.GetFileName(debPath));
            await new ExternalCommand("dpkg-deb", ["--root-owner-group", "-Zxz", "--build", root, built])
            {
                Environment = new Dictionary<string, string?> { ["SOURCE_DATE_EPOCH"] = source.CommitTime.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture) },
            }.CaptureCheckedAsync("Check the staged tree in " + root + ".", cancellationToken).ConfigureAwait(false);
            Directory.Delete(root, recursive: true);
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
            Directory.Move(staging, directory);
            HarnessCache.PruneOldest(cache.PackagesDirectory, KeptPackages - 1, name => !name.Contains(".partial-", StringComparison.Ordinal), directory);
            progress?.Report($"  {Path.GetFileName(debPath)}: {new FileInfo(debPath).Length / 1048576.0:0.0} MB");
            return new DebianPackage(debPath, source.DebianVersion);
        }
    }

    /// <summary>The cache key: the recipe, the version (it names the commit) and every file that goes in, by content.</summary>
    private string InputsHash(PackageVersion source, IEnumerable<PackagedFile> files)
    {
        var parts = files.Select(f => $"{f.PackagePath}:{(int)f.Mode}:{ContentHash.OfFile(f.Source)}")
            .Concat(MaintainerScripts.Select(s => $"{s}:{ContentHash.OfFile(Path.Combine(repository.DebianPackagingDirectory, s))}"))
            .Append("control.in:" + ContentHash.OfFile(Path.Combine(repository.DebianPackagingDirectory, "control.in")))
            .Append("changelog.in:" + ContentHash.OfFile(Path.Combine(repository.DebianPackagingDirectory, "changelog.in")))
            .Prepend(source.DebianVersion + "@" + source.CommitTime.ToUnixTimeSeconds())
            .Prepend(BuildRecipe);
        return ContentHash.OfBytes(Encoding.UTF8.GetBytes(string.Join('+', parts)));
    }

    /// <summary>Lays the package's tree out under <paramref name="root"/>: files, DEBIAN/, modes, mtimes.</summary>
    private async Task StageAsync(string root, PackageVersion source, IReadOnlyList<PackagedFile> files, CancellationToken cancellationToken)
    {
        string debian = repository.DebianPackagingDirectory;
        foreach (var file in files)
        {
            string target = Path.Combine(root, file.PackagePath);
            CreateDirectories(root, Path.GetDirectoryName(file.PackagePath)!);
            if (file.Gzip)
            {
                string plain = target[..^".gz".Length];
                File.Copy(file.Source, plain);
                await GzipAsync(plain, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                File.Copy(file.Source, target);
            }
            SetMode(target, file.Mode);
        }

        // changelog.Debian.gz: one entry, for this version and commit, dated by the commit.
        string changelog = Path.Combine(root, "usr/share/doc/liveupdate/changelog.Debian");
        await File.WriteAllTextAsync(changelog, Fill(await File.ReadAllTextAsync(Path.Combine(debian, "changelog.in"), cancellationToken).ConfigureAwait(false), source, installedSize: 0), cancellationToken).ConfigureAwait(false);
        await GzipAsync(changelog, cancellationToken).ConfigureAwait(false);
        SetMode(changelog + ".gz", DataFileMode);

        var payload = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        long installedKiB = payload.Sum(f => (new FileInfo(f).Length + 1023) / 1024)
            + Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories).Count();

        string control = Path.Combine(root, "DEBIAN");
        Directory.CreateDirectory(control);
        SetMode(control, DirectoryOrProgramMode);
        await File.WriteAllTextAsync(Path.Combine(control, "control"), Fill(await File.ReadAllTextAsync(Path.Combine(debian, "control.in"), cancellationToken).ConfigureAwait(false), source, installedKiB), cancellationToken).ConfigureAwait(false);
        SetMode(Path.Combine(control, "control"), DataFileMode);
        var md5sums = new StringBuilder();
        foreach (var file in payload)
        {
            await using var stream = File.OpenRead(file);
            md5sums.Append(Convert.ToHexStringLower(await MD5.HashDataAsync(stream, cancellationToken).ConfigureAwait(false))).Append("  ").Append(Path.GetRelativePath(root, file)).Append('\n');
        }
        await File.WriteAllTextAsync(Path.Combine(control, "md5sums"), md5sums.ToString(), cancellationToken).ConfigureAwait(false);
        SetMode(Path.Combine(control, "md5sums"), DataFileMode);
        foreach (var script in MaintainerScripts)
        {
            File.Copy(Path.Combine(debian, script), Path.Combine(control, script));
            SetMode(Path.Combine(control, script), DirectoryOrProgramMode);
        }

        // Every timestamp is the commit's, so the same inputs give the same package.
        foreach (var entry in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Append(root))
        {
            File.SetLastWriteTimeUtc(entry, source.CommitTime.UtcDateTime);
        }
    }

    /// <summary>Creates each directory of <paramref name="relative"/> under <paramref name="root"/> with mode 0755.</summary>
    private static void CreateDirectories(string root, string relative)
    {
        string path = root;
        Directory.CreateDirectory(root);
        SetMode(root, DirectoryOrProgramMode);
        foreach (var part in relative.Split('/'))
        {
            path = Path.Combine(path, part);
            if (!Directory.Exists(path))
            {
                Directory.CreateDirectory(path);
                SetMode(path, DirectoryOrProgramMode);
            }
        }
    }

    /// <summary>Sets a file's or directory's mode (the package is built on Linux only: dpkg-deb).</summary>
    private static void SetMode(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }
    }

    /// <summary>gzip -9n, as Debian policy asks for man pages and changelogs (no name, no timestamp: reproducible).</summary>
    private static Task GzipAsync(string path, CancellationToken cancellationToken) =>
        new ExternalCommand("gzip", ["-9n", path]).CaptureCheckedAsync("gzip is in the gzip package.", cancellationToken);

    private static string Fill(string template, PackageVersion source, long installedSize) => template
        .Replace("@VERSION@", source.DebianVersion, StringComparison.Ordinal)
        .Replace("@INSTALLED_SIZE@", installedSize.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("@COMMIT@", source.Commit ?? "(not a git checkout)", StringComparison.Ordinal)
        .Replace("@DATE@", source.CommitTime.UtcDateTime.ToString("ddd, dd MMM yyyy HH:mm:ss +0000", System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
}

/// <summary>A built package: the .deb and its Debian version.</summary>
public sealed record DebianPackage(string Path, string Version);
