// DebianKernelImageFetcher: gets Debian's own prebuilt kernel of a series (e.g. 7.2 from sid)
// into the cache, so tests can check that preflight rejects a distribution kernel built
// without KHO/LUO. Through the private apt configuration: linux-image-amd64=<series.x> names
// its linux-image-<abi>-amd64, whose vmlinuz lives in linux-binary-<abi>-amd64 (newer
// packaging) or in the image package itself (older); dpkg-deb extracts it. Cached per version.
using System.Text.RegularExpressions;
using LiveUpdate.VmHarness.Host;

namespace LiveUpdate.VmHarness.Kernels;

public sealed partial class DebianKernelImageFetcher
{
    private readonly HarnessCache cache;
    private readonly IProgress<string>? progress;
    private readonly PrivateAptConfiguration apt;

    public DebianKernelImageFetcher(HarnessCache cache, IProgress<string>? progress)
    {
        this.cache = cache;
        this.progress = progress;
        apt = new PrivateAptConfiguration(cache.AptDirectory);
    }

    /// <summary>cache/debian-kernels/: one directory per fetched package version.</summary>
    public string Directory => Path.Combine(cache.Root, "debian-kernels");

    /// <summary>Returns Debian's vmlinuz of the highest amd64 kernel of <paramref name="series"/> (cached).</summary>
    public async Task<DebianKernelImage> FetchAsync(string series, CancellationToken cancellationToken)
    {
        using var aptLock = await CacheLock.AcquireAsync(cache.LockFile("apt"), "the Debian kernel image fetch", progress, cancellationToken).ConfigureAwait(false);
        apt.Prepare();
        if (!apt.ListsAreFresh)
        {
            try
            {
                progress?.Report($"apt update (private configuration in {apt.Directory})");
                await apt.UpdateAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (HarnessException e) when (NewestCached(series) is { } offline)
            {
                progress?.Report($"apt update failed ({e.Message}); using the cached {offline.Vmlinuz}");
                return offline;
            }
        }

        var version = (await apt.AvailableVersionsAsync("linux-image-amd64", cancellationToken).ConfigureAwait(false))
            .Where(v => v.Text.StartsWith(series + ".", StringComparison.Ordinal))
            .Max()
            ?? throw new HarnessException($"Debian offers no linux-image-amd64 of the {series} series in {string.Join(" or ", PrivateAptConfiguration.Suites)}.");

        var cached = Cached(series, version.Text);
        if (cached is not null) return cached;

        string imagePackage = await DependencyAsync("linux-image-amd64", version.Text, ImagePackagePattern(), cancellationToken).ConfigureAwait(false);
        string abi = ImagePackagePattern().Match(imagePackage).Groups["abi"].Value;
        var target = VersionDirectory(series, version.Text);
        var staging = target + $".fetch-{Environment.ProcessId}";
        DeleteDirectory(staging);
        System.IO.Directory.CreateDirectory(staging);

        // vmlinuz is in linux-binary-<abi> when that package exists, else in linux-image-<abi> itself.
        string member = $"./usr/lib/modules/{abi}/vmlinuz";
        string? vmlinuz = null;
        foreach (string package in new[] { $"linux-binary-{abi}", imagePackage })
        {
            if ((await apt.AvailableVersionsAsync(package, cancellationToken).ConfigureAwait(false)).All(v => v.Text != version.Text)) continue;
            progress?.Report($"downloading {package} {version.Text}");
            var deb = await apt.DownloadAsync(package, version.Text, Path.Combine(staging, package), cancellationToken).ConfigureAwait(false);
            vmlinuz = await ExtractVmlinuzAsync(deb, staging, [member, $"./boot/vmlinuz-{abi}"], cancellationToken).ConfigureAwait(false);
            if (vmlinuz is not null) break;
        }
        if (vmlinuz is null)
        {
            DeleteDirectory(staging);
            throw new HarnessException($"Neither linux-binary-{abi} nor {imagePackage} {version.Text} contains {member} or ./boot/vmlinuz-{abi}; the packaging changed. Inspect them with dpkg-deb -c.");
        }

        DeleteDirectory(target);
        System.IO.Directory.CreateDirectory(target);
        File.Move(vmlinuz, Path.Combine(target, "vmlinuz"));
        await File.WriteAllTextAsync(Path.Combine(target, "package"), imagePackage + "\n", cancellationToken).ConfigureAwait(false);
        DeleteDirectory(staging);
        progress?.Report($"Debian {series} kernel {version.Text}: {Path.Combine(target, "vmlinuz")}");
        return Cached(series, version.Text)!;
    }

    private async Task<string> DependencyAsync(string package, string version, Regex pattern, CancellationToken cancellationToken)
    {
        var show = await new ExternalCommand("apt-cache", [.. apt.Options, "show", $"{package}={version}"])
            .CaptureCheckedAsync("The private apt lists may be damaged; delete them and retry.", cancellationToken).ConfigureAwait(false);
        foreach (string line in show.StandardOutput.Split('\n'))
        {
            if (!line.StartsWith("Depends:", StringComparison.Ordinal)) continue;
            foreach (string alternative in line["Depends:".Length..].Split([',', '|']))
            {
                string name = alternative.Trim().Split(' ', 2)[0];
                if (pattern.IsMatch(name)) return name;
            }
        }
        throw new HarnessException($"{package} {version} depends on no linux-image-<abi>-amd64 package; the packaging changed. See `apt-cache show {package}={version}`.");
    }

    private static async Task<string?> ExtractVmlinuzAsync(string deb, string staging, IReadOnlyList<string> members, CancellationToken cancellationToken)
    {
        string output = Path.Combine(staging, "extracted");
        System.IO.Directory.CreateDirectory(output);
        foreach (string member in members)
        {
            var extract = new ExternalCommand("tar", ["-x", "-C", output, member]);
            try
            {
                await ExternalCommand.PipeAsync(new ExternalCommand("dpkg-deb", ["--fsys-tarfile", deb]), extract, $"{deb} has no {member}.", cancellationToken).ConfigureAwait(false);
            }
            catch (HarnessException)
            {
                continue;
            }
            string path = Path.Combine(output, member[2..]);
            if (File.Exists(path)) return path;
        }
        return null;
    }

    private string VersionDirectory(string series, string version) => Path.Combine(Directory, $"{series}-{version}");

    private DebianKernelImage? Cached(string series, string version)
    {
        string directory = VersionDirectory(series, version);
        string vmlinuz = Path.Combine(directory, "vmlinuz");
        string packageFile = Path.Combine(directory, "package");
        return File.Exists(vmlinuz) && File.Exists(packageFile)
            ? new DebianKernelImage(series, File.ReadAllText(packageFile).Trim(), version, vmlinuz)
            : null;
    }

    private DebianKernelImage? NewestCached(string series) =>
        System.IO.Directory.Exists(Directory)
            ? System.IO.Directory.EnumerateDirectories(Directory, series + "-*")
                .Select(d => Path.GetFileName(d)[(series.Length + 1)..])
                .Where(v => !v.Contains(".fetch-", StringComparison.Ordinal))
                .Select(v => new DebianVersion(v)).OrderDescending()
                .Select(v => Cached(series, v.Text)).FirstOrDefault(c => c is not null)
            : null;

    private static void DeleteDirectory(string path)
    {
        if (System.IO.Directory.Exists(path)) System.IO.Directory.Delete(path, recursive: true);
    }

    [GeneratedRegex(@"^linux-image-(?<abi>\d+\.\d+[^ ]*-amd64)$")]
    private static partial Regex ImagePackagePattern();
}
