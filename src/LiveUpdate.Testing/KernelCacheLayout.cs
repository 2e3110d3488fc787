// KernelCacheLayout: where the VM harness (luvm) keeps the kernels it built and fetched —
// $LIVEUPDATE_CACHE, default ~/.cache/liveupdate, laid out as docs/vm-harness.md ("Cache")
// says — so tests that want real kernel images find them without referencing the harness
// (and without building anything: what is not cached is reported, with the luvm command that
// makes it). Read-only; depends on nothing but the base library. VmHarness's HarnessCache
// writes this layout; LiveUpdate.VmTests checks that both name the same directories.
using System.Security.Cryptography;

namespace LiveUpdate.Testing;

/// <summary>The harness cache's directory layout, for finding what `luvm kernels` and `luvm debian-kernel` left there.</summary>
/// <param name="Root">The cache directory.</param>
public sealed record KernelCacheLayout(string Root)
{
    /// <summary>The environment variable that moves the cache (as for luvm).</summary>
    public const string CacheEnvironmentVariable = "LIVEUPDATE_CACHE";

    private const int FragmentKeyLength = 12;

    /// <summary>The marker a kernel build writes last; a directory without it is an unfinished build.</summary>
    public const string CompleteMarkerName = "complete";

    /// <summary>Built kernels: kernels/&lt;series&gt;-&lt;package-version&gt;-&lt;fragment-sha12&gt;/.</summary>
    public string KernelsDirectory => Path.Combine(Root, "kernels");

    /// <summary>Debian's kernel images: debian-kernels/&lt;series&gt;-&lt;version&gt;/{vmlinuz,package}.</summary>
    public string DebianKernelsDirectory => Path.Combine(Root, "debian-kernels");

    /// <summary>Extracted kernel trees: src/&lt;package-version&gt;/linux-source-&lt;series&gt;/.</summary>
    public string SourceDirectory => Path.Combine(Root, "src");

    /// <summary>The cache directory of one kernel build.</summary>
    public string KernelDirectory(string series, string packageVersion, string fragmentKey) =>
        Path.Combine(KernelsDirectory, $"{series}-{packageVersion}-{fragmentKey}");

    /// <summary>The source tree a kernel was built from (scripts/, include/, ...).</summary>
    public string ExtractedSourceTree(string packageVersion, string series) =>
        Path.Combine(SourceDirectory, packageVersion, $"linux-source-{series}");

    /// <summary>$LIVEUPDATE_CACHE, or ~/.cache/liveupdate.</summary>
    public static KernelCacheLayout FromEnvironment()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable(CacheEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment)) return new(Path.GetFullPath(fromEnvironment));
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (string.IsNullOrEmpty(home))
            throw new InvalidOperationException($"Cannot place the harness cache: $HOME is not set. Set $HOME or ${CacheEnvironmentVariable}.");
        return new(Path.Combine(home, ".cache", "liveupdate"));
    }

    /// <summary>The key kernel builds are filed under: the first 12 hex digits of the SHA-256 of the config fragment.</summary>
    public static string FragmentKeyOf(string fragmentPath)
    {
        using var stream = File.OpenRead(fragmentPath);
        return Convert.ToHexStringLower(SHA256.HashData(stream))[..FragmentKeyLength];
    }

    /// <summary>
    /// The finished builds of <paramref name="series"/> (only those made with <paramref name="fragmentKey"/>
    /// when given), the most recently finished first.
    /// </summary>
    public IReadOnlyList<CachedKernel> Kernels(string series, string? fragmentKey = null)
    {
        if (!System.IO.Directory.Exists(KernelsDirectory)) return [];
        var found = new List<(CachedKernel Kernel, DateTime Finished)>();
        foreach (string directory in System.IO.Directory.EnumerateDirectories(KernelsDirectory, series + "-*"))
        {
            string name = Path.GetFileName(directory);
            string marker = Path.Combine(directory, CompleteMarkerName);
            string releaseFile = Path.Combine(directory, "release");
            int keyStart = name.Length - FragmentKeyLength;
            if (keyStart <= series.Length + 1 || name[keyStart - 1] != '-' || !File.Exists(marker) || !File.Exists(releaseFile)) continue;
            string key = name[keyStart..];
            if (!key.All(char.IsAsciiHexDigitLower) || (fragmentKey is not null && key != fragmentKey)) continue;
            string packageVersion = name[(series.Length + 1)..(keyStart - 1)];
            found.Add((new CachedKernel(series, packageVersion, key, File.ReadAllText(releaseFile).Trim(), directory), File.GetLastWriteTimeUtc(marker)));
        }
        return [.. found.OrderByDescending(f => f.Finished).Select(f => f.Kernel)];
    }

    /// <summary>The most recently finished build of <paramref name="series"/>; throws, naming the luvm command, when there is none.</summary>
    public CachedKernel Kernel(string series, string? fragmentKey = null) =>
        Kernels(series, fragmentKey).FirstOrDefault()
        ?? throw new FileNotFoundException(
            $"No finished {series} kernel build{(fragmentKey is null ? "" : $" of fragment {fragmentKey}")} in {KernelsDirectory}. " +
            $"Build it with `dotnet run --project src/LiveUpdate.VmHarness -- kernels --series {series}` (test.sh does).");

    /// <summary>The newest cached Debian image of <paramref name="series"/>; throws, naming the luvm command, when there is none.</summary>
    public CachedDebianKernel DebianKernel(string series)
    {
        if (System.IO.Directory.Exists(DebianKernelsDirectory))
        {
            var newest = System.IO.Directory.EnumerateDirectories(DebianKernelsDirectory, series + "-*")
                .Where(d => !Path.GetFileName(d).Contains(".fetch-", StringComparison.Ordinal))
                .Where(d => File.Exists(Path.Combine(d, "vmlinuz")) && File.Exists(Path.Combine(d, "package")))
                .OrderByDescending(d => File.GetLastWriteTimeUtc(Path.Combine(d, "vmlinuz")))
                .FirstOrDefault();
            if (newest is not null)
                return new CachedDebianKernel(series, File.ReadAllText(Path.Combine(newest, "package")).Trim(),
                    Path.GetFileName(newest)[(series.Length + 1)..], Path.Combine(newest, "vmlinuz"));
        }
        throw new FileNotFoundException(
            $"No Debian {series} kernel image in {DebianKernelsDirectory}. " +
            $"Fetch it with `dotnet run --project src/LiveUpdate.VmHarness -- debian-kernel --series {series}` (test.sh does).");
    }
}
