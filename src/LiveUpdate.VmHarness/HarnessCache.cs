// HarnessCache: the directory layout of everything the harness builds outside the repo
// ($LIVEUPDATE_CACHE, default ~/.cache/liveupdate), exactly as docs/vm-harness.md describes it.
namespace LiveUpdate.VmHarness;

public sealed class HarnessCache
{
    public const string CacheEnvironmentVariable = "LIVEUPDATE_CACHE";

    public HarnessCache(string root)
    {
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    /// <summary>Private apt configuration: sources.list, lists/, archives (the system's apt is never touched).</summary>
    public string AptDirectory => Path.Combine(Root, "apt");

    /// <summary>Downloaded linux-source .deb files.</summary>
    public string DebDirectory => Path.Combine(AptDirectory, "debs");

    /// <summary>Extracted kernel trees: src/&lt;package-version&gt;/linux-source-&lt;series&gt;/.</summary>
    public string SourceDirectory => Path.Combine(Root, "src");

    /// <summary>Built kernels: kernels/&lt;series&gt;-&lt;package-version&gt;-&lt;fragment-sha12&gt;/.</summary>
    public string KernelsDirectory => Path.Combine(Root, "kernels");

    /// <summary>Published guest binaries: guest/&lt;sha12 of the guest sources&gt;/.</summary>
    public string GuestDirectory => Path.Combine(Root, "guest");

    /// <summary>Built Debian packages: packages/&lt;sha12 of their inputs&gt;/liveupdate_&lt;version&gt;_amd64.deb.</summary>
    public string PackagesDirectory => Path.Combine(Root, "packages");

    /// <summary>One directory per VM run: runs/&lt;timestamp&gt;-&lt;scenario&gt;/.</summary>
    public string RunsDirectory => Path.Combine(Root, "runs");

    /// <summary>Lock files that serialise builds between processes.</summary>
    public string LocksDirectory => Path.Combine(Root, "locks");

    public string ExtractedSourceTree(string packageVersion, string series) =>
        Path.Combine(SourceDirectory, packageVersion, $"linux-source-{series}");

    public string KernelDirectory(string series, string packageVersion, string fragmentSha12) =>
        Path.Combine(KernelsDirectory, $"{series}-{packageVersion}-{fragmentSha12}");

    /// <summary>One guest app's native publish, keyed by the hash of the projects it is built from.</summary>
    public string GuestAppDirectory(string subdirectory, string sourcesSha12) => Path.Combine(GuestDirectory, $"{subdirectory}-{sourcesSha12}");

    public string PackageDirectory(string inputsSha12) => Path.Combine(PackagesDirectory, inputsSha12);

    public string LockFile(string name) => Path.Combine(LocksDirectory, name + ".lock");

    /// <summary>Creates a fresh run directory named after the start time and the scenario.</summary>
    public string CreateRunDirectory(string scenario, DateTimeOffset startedAt)
    {
        var safeScenario = string.Concat(scenario.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
        var baseName = $"{startedAt.UtcDateTime:yyyyMMdd-HHmmss}-{safeScenario}";
        var path = Path.Combine(RunsDirectory, baseName);
        for (var n = 2; Directory.Exists(path); n++)
        {
            path = Path.Combine(RunsDirectory, $"{baseName}-{n}");
        }
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>
    /// Deletes all but the newest <paramref name="keep"/> entries directly under <paramref name="directory"/>
    /// matched by <paramref name="isEntry"/> (with a sibling "&lt;name&gt;.log" file, if any), never <paramref name="protect"/>.
    /// </summary>
    public static void PruneOldest(string directory, int keep, Func<string, bool> isEntry, string? protect = null)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }
        var stale = new DirectoryInfo(directory).GetDirectories()
            .Where(d => isEntry(d.Name) && d.FullName != protect)
            .OrderByDescending(d => d.LastWriteTimeUtc)
            .Skip(keep);
        foreach (var entry in stale)
        {
            try
            {
                entry.Delete(recursive: true);
                File.Delete(entry.FullName + ".log");
            }
            catch (IOException)
            {
                // In use by another process right now; the next prune gets it.
            }
        }
    }

    /// <summary>$LIVEUPDATE_CACHE, or ~/.cache/liveupdate.</summary>
    public static HarnessCache FromEnvironment()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(CacheEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return new HarnessCache(fromEnvironment);
        }

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (string.IsNullOrEmpty(home))
        {
            throw new HarnessException(
                $"Cannot place the harness cache: $HOME is not set. Set $HOME or ${CacheEnvironmentVariable}.");
        }
        return new HarnessCache(Path.Combine(home, ".cache", "liveupdate"));
    }
}
