// KernelBuilder: turns an extracted kernel tree into a PreparedKernel in
// cache/kernels/<series>-<pkgversion>-<fragment-sha12>/: tinyconfig + vm/kernel.fragment,
// a verified .config, bzImage, uapi headers and the statically linked LUO selftests.
// Full make output goes to build.log there; a build without the `complete` marker is redone.
using LiveUpdate.VmHarness.Host;

namespace LiveUpdate.VmHarness.Kernels;

public sealed class KernelBuilder
{
    public const string LogFileName = "build.log";
    private const string CompleteMarkerName = "complete";
    private const int FailureTailLines = 30;

    /// <summary>The selftest programs built from tools/testing/selftests/liveupdate/.</summary>
    public static readonly IReadOnlyList<string> SelftestPrograms = ["liveupdate", "luo_kexec_simple", "luo_multi_session"];

    private readonly HarnessCache cache;
    private readonly RepositoryLayout repository;
    private readonly IProgress<string>? progress;

    public KernelBuilder(HarnessCache cache, RepositoryLayout repository, IProgress<string>? progress)
    {
        this.cache = cache;
        this.repository = repository;
        this.progress = progress;
    }

    /// <summary>The cache directory a build of <paramref name="source"/> with the current fragment uses.</summary>
    public string KernelDirectoryFor(KernelSource source) =>
        cache.KernelDirectory(source.Series, source.PackageVersion, ContentHash.OfFile(repository.KernelFragment));

    /// <summary>Returns the cached build if complete, otherwise builds it (serialised across processes).</summary>
    public async Task<PreparedKernel> BuildAsync(KernelSource source, CancellationToken cancellationToken)
    {
        if (!File.Exists(repository.KernelFragment))
        {
            throw new HarnessException($"Kernel fragment {repository.KernelFragment} is missing; restore vm/kernel.fragment from git.");
        }
        var directory = KernelDirectoryFor(source);
        using var buildLock = await CacheLock.AcquireAsync(
            cache.LockFile("kernel-" + Path.GetFileName(directory)), $"the {source.Series} kernel build", progress, cancellationToken).ConfigureAwait(false);

        if (File.Exists(Path.Combine(directory, CompleteMarkerName)))
        {
            return Load(source, directory);
        }

        HostPrerequisites.Require("Building the guest kernel", HostPrerequisites.KernelBuild);
        Directory.CreateDirectory(directory);
        var build = new KernelBuildRun(source, directory, repository.KernelFragment, progress);
        await build.RunAsync(cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(directory, CompleteMarkerName), DateTimeOffset.UtcNow.ToString("O"), cancellationToken).ConfigureAwait(false);
        return Load(source, directory);
    }

    private static PreparedKernel Load(KernelSource source, string directory)
    {
        var release = File.ReadAllText(Path.Combine(directory, "release")).Trim();
        return new PreparedKernel(source.Series, source.PackageVersion, release, directory);
    }

    /// <summary>One build of one kernel directory; holds the log and the progress counters.</summary>
    private sealed class KernelBuildRun
    {
        private readonly KernelSource source;
        private readonly string directory;
        private readonly string fragment;
        private readonly IProgress<string>? progress;
        private readonly string buildTree;
        private readonly string log;
        private int compiledObjects;

        public KernelBuildRun(KernelSource source, string directory, string fragment, IProgress<string>? progress)
        {
            this.source = source;
            this.directory = directory;
            this.fragment = fragment;
            this.progress = progress;
            buildTree = Path.Combine(directory, "build");
            log = Path.Combine(directory, LogFileName);
        }

        private string Src => source.TreePath;

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            Directory.CreateDirectory(buildTree);
            File.Delete(log);
            progress?.Report($"building kernel {source.Series} ({source.PackageVersion}) in {directory}; log: {log}");

            await MakeAsync("configure (tinyconfig)", ["tinyconfig"], cancellationToken).ConfigureAwait(false);
            await StepAsync("merge vm/kernel.fragment", new ExternalCommand(
                "sh", [Path.Combine(Src, "scripts", "kconfig", "merge_config.sh"), "-m", "-O", buildTree, Path.Combine(buildTree, ".config"), fragment])
            { WorkingDirectory = buildTree }, cancellationToken).ConfigureAwait(false);
            await MakeAsync("configure (olddefconfig)", ["olddefconfig"], cancellationToken).ConfigureAwait(false);

            var configPath = Path.Combine(buildTree, ".config");
            KernelConfigVerifier.Verify(
                await File.ReadAllTextAsync(fragment, cancellationToken).ConfigureAwait(false),
                await File.ReadAllTextAsync(configPath, cancellationToken).ConfigureAwait(false),
                fragment, configPath, Src);

            var jobs = Environment.ProcessorCount + 1;
            progress?.Report($"compiling bzImage with -j{jobs} (≈5 min on 2 cores)");
            await using (var heartbeat = new ProgressHeartbeat(progress, elapsed =>
                $"  kernel {source.Series}: {(int)elapsed.TotalMinutes}:{elapsed.Seconds:00} elapsed, {Volatile.Read(ref compiledObjects)} objects compiled"))
            {
                await MakeAsync("compile bzImage", [$"-j{jobs}", "bzImage"], cancellationToken, CountCompiledObject).ConfigureAwait(false);
                progress?.Report($"  bzImage done in {heartbeat.Elapsed.TotalSeconds:0} s ({compiledObjects} objects)");
            }

            var headers = Path.Combine(directory, "headers");
            await MakeAsync("install uapi headers", ["headers_install", $"INSTALL_HDR_PATH={headers}"], cancellationToken).ConfigureAwait(false);

            File.Copy(Path.Combine(buildTree, "arch", "x86", "boot", "bzImage"), Path.Combine(directory, "bzImage"), overwrite: true);
            File.Copy(configPath, Path.Combine(directory, "config"), overwrite: true);
            var release = await new ExternalCommand("make", ["-s", "-C", Src, $"O={buildTree}", "kernelrelease"])
                .CaptureCheckedAsync($"See {log}.", cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(directory, "release"), release.StandardOutput.Trim() + "\n", cancellationToken).ConfigureAwait(false);

            await BuildSelftestsAsync(headers, cancellationToken).ConfigureAwait(false);
            progress?.Report($"kernel {source.Series} ready: {release.StandardOutput.Trim()} in {directory}");
        }

        private async Task BuildSelftestsAsync(string headers, CancellationToken cancellationToken)
        {
            var selftests = Path.Combine(Src, "tools", "testing", "selftests");
            var liveupdate = Path.Combine(selftests, "liveupdate");
            // 7.2 keeps the helpers next to the tests; 7.3 moved them to lib/ with their own include dir.
            var (utilities, extraIncludes) = File.Exists(Path.Combine(liveupdate, "luo_test_utils.c"))
                ? (Path.Combine(liveupdate, "luo_test_utils.c"), Array.Empty<string>())
                : (Path.Combine(liveupdate, "lib", "lu_utils.c"), new[] { "-I" + Path.Combine(liveupdate, "lib", "include") });
            if (!File.Exists(utilities))
            {
                throw new HarnessException(
                    $"Neither luo_test_utils.c nor lib/lu_utils.c exists in {liveupdate}; the selftest layout changed. Update KernelBuilder.BuildSelftestsAsync.");
            }

            var output = Path.Combine(directory, "selftests");
            Directory.CreateDirectory(output);
            foreach (var program in SelftestPrograms)
            {
                progress?.Report($"  selftest {program} (static)");
                string[] arguments =
                [
                    "-static", "-O2", "-Wall", "-Wno-unused-function", "-D_GNU_SOURCE=",
                    "-isystem", Path.Combine(headers, "include"),
                    "-I" + selftests, "-I" + liveupdate, .. extraIncludes,
                    Path.Combine(liveupdate, program + ".c"), utilities,
                    "-o", Path.Combine(output, program),
                ];
                await StepAsync($"compile selftest {program}", new ExternalCommand("gcc", arguments), cancellationToken).ConfigureAwait(false);
            }
        }

        private Task MakeAsync(string what, IReadOnlyList<string> targets, CancellationToken cancellationToken, Action<string>? onLine = null) =>
            StepAsync(what, new ExternalCommand("make", ["-C", Src, $"O={buildTree}", .. targets]), cancellationToken, onLine);

        private async Task StepAsync(string what, ExternalCommand command, CancellationToken cancellationToken, Action<string>? onLine = null)
        {
            var exitCode = await command.RunToLogAsync(log, onLine, cancellationToken).ConfigureAwait(false);
            if (exitCode != 0)
            {
                var tail = ExternalCommand.LastLines((await File.ReadAllTextAsync(log, cancellationToken).ConfigureAwait(false)).TrimEnd(), FailureTailLines);
                throw new HarnessException(
                    $"Kernel {source.Series} build step \"{what}\" failed (exit code {exitCode}). Last {FailureTailLines} lines of {log}:\n{tail}\n" +
                    $"Full log: {log}. Missing host packages are the usual cause: {HostPrerequisites.InstallHint}");
            }
        }

        private void CountCompiledObject(string line)
        {
            var trimmed = line.TrimStart();
            if (line.StartsWith("  ", StringComparison.Ordinal) && (trimmed.StartsWith("CC ", StringComparison.Ordinal) || trimmed.StartsWith("AS ", StringComparison.Ordinal)))
            {
                Interlocked.Increment(ref compiledObjects);
            }
        }
    }
}
