// PackageVersion: the Debian package's version, from the one place the project keeps it
// (LiveUpdateVersion in Directory.Build.props) and the commit it is built from.
// In a git checkout it is <LiveUpdateVersion>~git<commit date yyyymmdd>.<sha7>, e.g.
// 0.1.0~git20261201.6a44b56: dpkg -l then names the commit a host runs, the commit date makes
// later snapshots sort higher, and "~" sorts every snapshot below the release 0.1.0 itself, so
// the release upgrades over them. ("+g<sha>" would sort snapshots above their release, and a
// bare sha does not sort at all.) Outside a git checkout it is the bare LiveUpdateVersion.
using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using LiveUpdate.VmHarness.Host;

namespace LiveUpdate.VmHarness.Packaging;

public sealed partial record PackageVersion(string Upstream, string? Commit, DateTimeOffset CommitTime)
{
    public string DebianVersion => Commit is null
        ? Upstream
        : $"{Upstream}~git{CommitTime.UtcDateTime:yyyyMMdd}.{Commit[..7]}";

    public static async Task<PackageVersion> ReadAsync(RepositoryLayout repository, CancellationToken cancellationToken)
    {
        string upstream = XDocument.Load(repository.BuildProps).Descendants("LiveUpdateVersion").FirstOrDefault()?.Value.Trim()
            ?? throw new HarnessException($"{repository.BuildProps} has no <LiveUpdateVersion>; the Debian package's version comes from there.");
        if (!UpstreamVersionPattern().IsMatch(upstream))
        {
            throw new HarnessException($"LiveUpdateVersion '{upstream}' in {repository.BuildProps} is not a Debian upstream version (a digit, then letters, digits and . + ~ only).");
        }

        var git = HostPrerequisites.FindInPath("git") is null
            ? null
            : await new ExternalCommand("git", ["-C", repository.Root, "log", "-1", "--format=%H %ct"]).CaptureAsync(cancellationToken).ConfigureAwait(false);
        if (git is { ExitCode: 0 } && git.StandardOutput.Trim().Split(' ') is [var sha, var seconds] && sha.Length >= 7)
        {
            return new PackageVersion(upstream, sha, DateTimeOffset.FromUnixTimeSeconds(long.Parse(seconds, CultureInfo.InvariantCulture)));
        }
        return new PackageVersion(upstream, null, new DateTimeOffset(File.GetLastWriteTimeUtc(repository.BuildProps), TimeSpan.Zero));
    }

    [GeneratedRegex("^[0-9][A-Za-z0-9.+~]*$")]
    private static partial Regex UpstreamVersionPattern();
}
