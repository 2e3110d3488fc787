// PrivateAptConfiguration: an apt setup that lives entirely in the harness cache (own
// sources.list, lists and archive dirs) so kernel sources come from Debian sid and
// trixie-backports without touching /etc/apt or the system's package lists.
using LiveUpdate.VmHarness.Host;

namespace LiveUpdate.VmHarness.Kernels;

public sealed class PrivateAptConfiguration
{
    public const string Keyring = "/usr/share/keyrings/debian-archive-keyring.gpg";

    /// <summary>The suites searched for linux-source-&lt;series&gt; (7.3 is only in trixie-backports for now).</summary>
    public static readonly IReadOnlyList<string> Suites = ["sid", "trixie-backports"];

    private static readonly TimeSpan ListsFreshFor = TimeSpan.FromHours(12);

    public PrivateAptConfiguration(string directory)
    {
        Directory = directory;
    }

    public string Directory { get; }

    public string SourcesList => Path.Combine(Directory, "sources.list");

    public string ListsDirectory => Path.Combine(Directory, "lists");

    public string ArchiveCacheDirectory => Path.Combine(Directory, "cache");

    private string UpdatedMarker => Path.Combine(Directory, "lists.updated");

    public static string SourcesListText => string.Concat(
        Suites.Select(suite => $"deb [signed-by={Keyring}] http://deb.debian.org/debian {suite} main\n"));

    /// <summary>The -o options that point apt-get / apt-cache at this configuration only.</summary>
    public IReadOnlyList<string> Options =>
    [
        "-o", $"Dir::Etc::sourcelist={SourcesList}",
        "-o", "Dir::Etc::sourceparts=-",
        "-o", $"Dir::State::Lists={ListsDirectory}",
        "-o", $"Dir::Cache={ArchiveCacheDirectory}",
        "-o", "APT::Get::List-Cleanup=0",
        "-o", "Acquire::Languages=none",
        // The cache is usually not readable by apt's _apt sandbox user; download as the caller.
        "-o", "APT::Sandbox::User=root",
    ];

    /// <summary>True when an update succeeded recently enough that the lists can be reused.</summary>
    public bool ListsAreFresh =>
        File.Exists(UpdatedMarker) && DateTime.UtcNow - File.GetLastWriteTimeUtc(UpdatedMarker) < ListsFreshFor;

    public bool HasLists => File.Exists(UpdatedMarker);

    /// <summary>Writes sources.list and the directories apt expects.</summary>
    public void Prepare()
    {
        HostPrerequisites.Require("Fetching Debian packages (kernel sources)", HostPrerequisites.PackageFetch);
        System.IO.Directory.CreateDirectory(Path.Combine(ListsDirectory, "partial"));
        System.IO.Directory.CreateDirectory(Path.Combine(ArchiveCacheDirectory, "archives", "partial"));
        if (!File.Exists(SourcesList) || File.ReadAllText(SourcesList) != SourcesListText)
        {
            File.WriteAllText(SourcesList, SourcesListText);
            File.Delete(UpdatedMarker);
        }
    }

    public async Task UpdateAsync(CancellationToken cancellationToken)
    {
        await new ExternalCommand("apt-get", [.. Options, "-q", "update"])
            .CaptureCheckedAsync("Check the network connection to deb.debian.org (or the apt proxy in /etc/apt/apt.conf.d).", cancellationToken)
            .ConfigureAwait(false);
        await File.WriteAllTextAsync(UpdatedMarker, DateTimeOffset.UtcNow.ToString("O"), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every version of <paramref name="package"/> the configured suites offer.</summary>
    public async Task<IReadOnlyList<DebianVersion>> AvailableVersionsAsync(string package, CancellationToken cancellationToken)
    {
        var result = await new ExternalCommand("apt-cache", [.. Options, "madison", package])
            .CaptureCheckedAsync("The private apt lists may be damaged; delete them and retry.", cancellationToken)
            .ConfigureAwait(false);
        return ParseMadison(result.StandardOutput, package);
    }

    /// <summary>Package names starting with <paramref name="prefix"/> (`apt-cache pkgnames`), sorted.</summary>
    public async Task<IReadOnlyList<string>> PackageNamesAsync(string prefix, CancellationToken cancellationToken)
    {
        var result = await new ExternalCommand("apt-cache", [.. Options, "pkgnames", prefix]).CaptureAsync(cancellationToken).ConfigureAwait(false);
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>Parses `apt-cache madison` lines: "pkg | version | origin".</summary>
    public static IReadOnlyList<DebianVersion> ParseMadison(string output, string package) =>
        output.Split('\n')
            .Select(line => line.Split('|', StringSplitOptions.TrimEntries))
            .Where(fields => fields.Length >= 3 && fields[0] == package && fields[1].Length > 0)
            .Select(fields => new DebianVersion(fields[1]))
            .ToArray();

    /// <summary>Downloads package=version into <paramref name="directory"/>; returns the .deb path.</summary>
    public async Task<string> DownloadAsync(string package, string version, string directory, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(directory);
        await new ExternalCommand("apt-get", [.. Options, "-q", "download", $"{package}={version}"]) { WorkingDirectory = directory }
            .CaptureCheckedAsync($"Check that {package} {version} still exists in {string.Join(" or ", Suites)} (pass another version or none).", cancellationToken)
            .ConfigureAwait(false);
        return System.IO.Directory.EnumerateFiles(directory, package + "_*.deb").SingleOrDefault()
            ?? throw new HarnessException($"apt-get download {package}={version} succeeded but left no .deb in {directory}.");
    }
}
