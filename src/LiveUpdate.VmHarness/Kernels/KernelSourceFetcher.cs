// KernelSourceFetcher: gets an extracted linux-source-<series> tree into the cache: apt update
// (private configuration), pick the highest version (or the one asked for), download the .deb,
// pull the source tarball out of it and untar it. Every step is skipped when its result exists.
using LiveUpdate.VmHarness.Host;

namespace LiveUpdate.VmHarness.Kernels;

public sealed class KernelSourceFetcher
{
    private readonly HarnessCache cache;
    private readonly IProgress<string>? progress;
    private readonly PrivateAptConfiguration apt;

    public KernelSourceFetcher(HarnessCache cache, IProgress<string>? progress)
    {
        this.cache = cache;
        this.progress = progress;
        apt = new PrivateAptConfiguration(cache.AptDirectory);
    }

    /// <summary>
    /// Returns the extracted tree of linux-source-<paramref name="series"/>, at <paramref name="packageVersion"/>
    /// or (when null) the highest version in sid / trixie-backports.
    /// </summary>
    public async Task<KernelSource> FetchAsync(string series, string? packageVersion, CancellationToken cancellationToken)
    {
        using var aptLock = await CacheLock.AcquireAsync(cache.LockFile("apt"), "the kernel source fetch", progress, cancellationToken).ConfigureAwait(false);
        var package = $"linux-source-{series}";

        if (packageVersion is not null && IsExtracted(series, packageVersion))
        {
            return Extracted(series, packageVersion);
        }

        apt.Prepare();
        var version = packageVersion ?? await PickHighestVersionAsync(series, package, cancellationToken).ConfigureAwait(false);
        if (IsExtracted(series, version))
        {
            progress?.Report($"{package} {version}: already extracted in {cache.ExtractedSourceTree(version, series)}");
            return Extracted(series, version);
        }

        if (!apt.HasLists)
        {
            await UpdateListsAsync(cancellationToken).ConfigureAwait(false);
        }
        var deb = await DownloadAsync(package, version, cancellationToken).ConfigureAwait(false);
        await ExtractAsync(series, version, deb, cancellationToken).ConfigureAwait(false);
        return Extracted(series, version);
    }

    private async Task<string> PickHighestVersionAsync(string series, string package, CancellationToken cancellationToken)
    {
        if (!apt.ListsAreFresh)
        {
            try
            {
                await UpdateListsAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (HarnessException e) when (NewestExtractedVersion(series) is { } offline)
            {
                progress?.Report($"apt update failed ({e.Message}); using the already extracted {package} {offline}");
                return offline;
            }
        }

        var versions = await apt.AvailableVersionsAsync(package, cancellationToken).ConfigureAwait(false);
        var highest = versions.Max();
        if (highest is null)
        {
            var available = await apt.PackageNamesAsync("linux-source-", cancellationToken).ConfigureAwait(false);
            throw new HarnessException(
                $"No {package} in Debian {string.Join(" or ", PrivateAptConfiguration.Suites)}. Use one of the available series: " +
                $"{(available.Count == 0 ? "(none; the private apt lists look empty, delete " + apt.ListsDirectory + " and retry)" : string.Join(", ", available.Select(n => n["linux-source-".Length..])))}.");
        }
        progress?.Report($"{package}: highest available version is {highest} (of {versions.Count})");
        return highest.Text;
    }

    private async Task UpdateListsAsync(CancellationToken cancellationToken)
    {
        progress?.Report($"apt update (private configuration in {apt.Directory})");
        await apt.UpdateAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> DownloadAsync(string package, string version, CancellationToken cancellationToken)
    {
        var final = Path.Combine(cache.DebDirectory, $"{package}_{version}_all.deb");
        if (File.Exists(final))
        {
            return final;
        }

        var staging = Path.Combine(cache.DebDirectory, $".download-{Environment.ProcessId}");
        DeleteDirectory(staging);
        progress?.Report($"downloading {package} {version}");
        var downloaded = await apt.DownloadAsync(package, version, staging, cancellationToken).ConfigureAwait(false);
        File.Move(downloaded, final, overwrite: true);
        DeleteDirectory(staging);
        progress?.Report($"downloaded {final} ({new FileInfo(final).Length / 1048576} MiB)");
        return final;
    }

    private async Task ExtractAsync(string series, string version, string deb, CancellationToken cancellationToken)
    {
        var tree = cache.ExtractedSourceTree(version, series);
        var versionDirectory = Path.GetDirectoryName(tree)!;
        var staging = Path.Combine(versionDirectory, $".extract-{Environment.ProcessId}");
        DeleteDirectory(staging);
        DeleteDirectory(tree);
        Directory.CreateDirectory(staging);

        var tarballMember = $"./usr/src/linux-source-{series}.tar.xz";
        progress?.Report($"extracting {Path.GetFileName(deb)} into {tree}");
        await using (new ProgressHeartbeat(progress, elapsed => $"  still extracting linux-source-{series} ({elapsed.TotalSeconds:0} s)"))
        {
            await ExternalCommand.PipeAsync(
                new ExternalCommand("dpkg-deb", ["--fsys-tarfile", deb]),
                new ExternalCommand("tar", ["-x", "-C", staging, tarballMember]),
                $"The .deb may be damaged: delete {deb} and retry.",
                cancellationToken).ConfigureAwait(false);

            var tarball = Path.Combine(staging, "usr", "src", $"linux-source-{series}.tar.xz");
            var unpacked = Path.Combine(staging, "tree");
            Directory.CreateDirectory(unpacked);
            await new ExternalCommand("tar", ["-x", "-I", "xz -T2", "-f", tarball, "-C", unpacked])
                .CaptureCheckedAsync($"Check free disk space under {cache.Root} and that xz-utils is installed.", cancellationToken)
                .ConfigureAwait(false);

            var top = Path.Combine(unpacked, $"linux-source-{series}");
            if (!Directory.Exists(top))
            {
                throw new HarnessException($"{tarball} did not contain linux-source-{series}/; the package layout changed. Inspect it with `tar -tJf`.");
            }
            Directory.Move(top, tree);
        }
        DeleteDirectory(staging);
        await File.WriteAllTextAsync(CompleteMarker(series, version), DateTimeOffset.UtcNow.ToString("O"), cancellationToken).ConfigureAwait(false);
        progress?.Report($"extracted linux-source-{series} {version}");
    }

    private bool IsExtracted(string series, string version) =>
        File.Exists(CompleteMarker(series, version)) && Directory.Exists(cache.ExtractedSourceTree(version, series));

    private string CompleteMarker(string series, string version) => cache.ExtractedSourceTree(version, series) + ".complete";

    private KernelSource Extracted(string series, string version) => new(series, version, cache.ExtractedSourceTree(version, series));

    private string? NewestExtractedVersion(string series) =>
        Directory.Exists(cache.SourceDirectory)
            ? Directory.EnumerateDirectories(cache.SourceDirectory)
                .Select(Path.GetFileName)
                .OfType<string>()
                .Where(v => IsExtracted(series, v))
                .Select(v => new DebianVersion(v))
                .Max()?.Text
            : null;

    private static void DeleteDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }
}
