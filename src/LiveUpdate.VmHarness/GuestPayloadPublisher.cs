// GuestPayloadPublisher: publishes the GuestApps (self-contained, trimmed, composite ReadyToRun,
// linux-x64) into cache/guest/<sha12 of src/ and samples/ *.cs|csproj|props>/<app>/ and collects the
// shared libraries they need. A publish is reused while the guest sources do not change.
namespace LiveUpdate.VmHarness;

public sealed class GuestPayloadPublisher
{
    /// <summary>Older publishes (≈60 MB each) beyond this many are deleted.</summary>
    public const int KeptPublishes = 6;

    private static readonly string[] HashedExtensions = [".cs", ".csproj", ".props"];

    /// <summary>Changes whenever the publish options below change, so an old publish is not reused.</summary>
    private const string PublishRecipe = "r2r-composite-1";

    /// <summary>
    /// Published files the guest must not get: the LTTng trace provider needs liblttng-ust (absent in
    /// the guest and often on the host) and would only slow every .NET start with a failing dlopen.
    /// </summary>
    public static readonly IReadOnlyList<string> Unshipped = ["libcoreclrtraceptprovider.so"];

    private readonly HarnessCache cache;
    private readonly RepositoryLayout repository;
    private readonly IProgress<string>? progress;

    public GuestPayloadPublisher(HarnessCache cache, RepositoryLayout repository, IProgress<string>? progress)
    {
        this.cache = cache;
        this.repository = repository;
        this.progress = progress;
    }

    /// <summary>The cache key: a hash over the sources that go into the guest binaries (src/ and samples/).</summary>
    public string SourcesHash()
    {
        var sources = ContentHash.OfTree(
            repository.SourceDirectory,
            HashedExtensions,
            [Path.Combine(repository.Root, "Directory.Build.props"), Path.Combine(repository.Root, "Directory.Packages.props")]);
        var samples = ContentHash.OfTree(repository.SamplesDirectory, HashedExtensions, []);
        return ContentHash.OfBytes(System.Text.Encoding.UTF8.GetBytes($"{PublishRecipe}+{sources}+{samples}"));
    }

    public async Task<GuestPayload> PublishAsync(CancellationToken cancellationToken)
    {
        var hash = SourcesHash();
        var directory = cache.GuestPayloadDirectory(hash);
        using (await CacheLock.AcquireAsync(cache.LockFile("guest-publish"), "the guest publish", progress, cancellationToken).ConfigureAwait(false))
        {
            if (!Directory.Exists(directory))
            {
                await PublishIntoAsync(directory, cancellationToken).ConfigureAwait(false);
                HarnessCache.PruneOldest(cache.GuestDirectory, KeptPublishes - 1, name => !name.StartsWith('.') && !name.Contains(".partial-", StringComparison.Ordinal), directory);
            }
            else
            {
                // Marks it in use: pruning keeps the most recently used publishes, so a long test
                // session reusing this one never loses it to other checkouts' publishes.
                Directory.SetLastWriteTimeUtc(directory, DateTime.UtcNow);
            }
        }

        var apps = GuestApp.All(repository);
        var binaries = apps.Select(a => Path.Combine(directory, a.Subdirectory, a.Executable))
            .Concat(Directory.EnumerateFiles(directory, "*.so", SearchOption.AllDirectories))
            .Concat(GuestPayload.HostTools);
        var libraries = await SharedLibraryCollector.CollectAsync(binaries, cancellationToken).ConfigureAwait(false);
        return new GuestPayload(directory, apps, libraries);
    }

    /// <summary>dotnet from $PATH, else the host running us (set by `dotnet test` / `dotnet run`).</summary>
    private static string DotnetExecutable() =>
        HostPrerequisites.FindInPath("dotnet") ?? Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";

    private async Task PublishIntoAsync(string directory, CancellationToken cancellationToken)
    {
        // Callers hold the publish lock, so any partial directory is left over from an interrupted run.
        foreach (var stale in Directory.Exists(cache.GuestDirectory) ? Directory.GetDirectories(cache.GuestDirectory, "*.partial-*") : [])
        {
            Directory.Delete(stale, recursive: true);
        }
        var staging = directory + $".partial-{Environment.ProcessId}";
        Directory.CreateDirectory(staging);
        var log = staging + ".log";
        File.Delete(log);

        foreach (var app in GuestApp.All(repository))
        {
            var project = app.Project;
            progress?.Report($"publishing {app.Executable} ({Path.GetFileNameWithoutExtension(project)}) for the guest (self-contained, trimmed, composite ReadyToRun)");
            await using var heartbeat = new ProgressHeartbeat(progress, elapsed => $"  still publishing ({elapsed.TotalSeconds:0} s)");
            var command = new ExternalCommand(DotnetExecutable(),
            [
                "publish", project,
                "-c", "Release", "-r", "linux-x64", "--self-contained",
                "-p:PublishReadyToRun=true", "-p:PublishTrimmed=true", "-p:InvariantGlobalization=true",
                // One composite image of app + framework: generic instantiations across assemblies
                // (System.Text.Json over our types, collections over framework structs) are compiled
                // ahead of time instead of JIT-compiled at first use, which under TCG costs seconds.
                "-p:PublishReadyToRunComposite=true",
                "-p:DebugType=none", "-p:UseSharedCompilation=false",
                "--disable-build-servers", "-nologo",
                // Own bin/obj: developers building the same projects at the same time must not share intermediates.
                "--artifacts-path", Path.Combine(cache.GuestDirectory, ".artifacts"),
                "-o", Path.Combine(staging, app.Subdirectory),
            ])
            {
                WorkingDirectory = repository.Root,
                // A `dotnet test` parent leaks MSBuild variables that would point the child at the wrong SDK parts.
                Environment = new Dictionary<string, string?>
                {
                    ["MSBuildExtensionsPath"] = null,
                    ["MSBuildSDKsPath"] = null,
                    ["MSBUILD_EXE_PATH"] = null,
                    ["MSBuildLoadMicrosoftTargetsReadOnly"] = null,
                    ["MSBUILDNOINPROCNODE"] = null,
                    ["MSBUILDDISABLENODEREUSE"] = "1",
                    ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
                    ["DOTNET_NOLOGO"] = "1",
                },
            };
            var exitCode = await command.RunToLogAsync(log, onLine: null, cancellationToken).ConfigureAwait(false);
            if (exitCode != 0)
            {
                var tail = ExternalCommand.LastLines((await File.ReadAllTextAsync(log, cancellationToken).ConfigureAwait(false)).TrimEnd(), 30);
                throw new HarnessException(
                    $"Publishing {project} for the guest failed (exit code {exitCode}). Last 30 lines of {log}:\n{tail}\n" +
                    "Fix the build error above (`dotnet build` of that project shows the same), then rerun.");
            }
        }

        foreach (var app in GuestApp.All(repository))
        {
            foreach (var name in Unshipped)
            {
                File.Delete(Path.Combine(staging, app.Subdirectory, name));
            }
            if (!File.Exists(Path.Combine(staging, app.Subdirectory, app.Executable)))
            {
                throw new HarnessException($"dotnet publish did not produce {app.Executable} in {Path.Combine(staging, app.Subdirectory)}; check the AssemblyName in {app.Project}.");
            }
        }
        Directory.Move(staging, directory);
        File.Move(log, directory + ".log", overwrite: true);
        progress?.Report($"guest payload published to {directory}");
    }
}
