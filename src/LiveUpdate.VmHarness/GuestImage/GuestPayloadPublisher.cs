// GuestPayloadPublisher: publishes the GuestApps as NativeAOT executables (linux-x64, one file
// each, no .NET runtime in the guest) into cache/guest/<subdirectory>-<sha12>/, one directory per
// app keyed by the sources of the projects that app is built from (ProjectClosure), and collects
// the shared libraries they need. An app's publish is reused while its own sources do not change.
// Why native: every kexec pays for the initramfs twice (7.2's purgatory hashes it, the next kernel
// unpacks it), and under QEMU TCG code that ran before the kexec slows the next kernel's stores to
// those pages (docs/benchmarks.md, "Method"); four ReadyToRun apps with their runtimes were 128 MB
// of image and several JIT heaps, four native ones are ≈ 23 MB.
using LiveUpdate.VmHarness.Host;

namespace LiveUpdate.VmHarness.GuestImage;

public sealed class GuestPayloadPublisher
{
    /// <summary>Older publishes of one app (3–8 MB each) beyond this many are deleted.</summary>
    public const int KeptPublishes = 6;

    private static readonly string[] HashedExtensions = [".cs", ".csproj", ".props"];

    /// <summary>Changes whenever the publish options below change, so an old publish is not reused.</summary>
    private const string PublishRecipe = "native-aot-1";

    private readonly HarnessCache cache;
    private readonly RepositoryLayout repository;
    private readonly IProgress<string>? progress;

    public GuestPayloadPublisher(HarnessCache cache, RepositoryLayout repository, IProgress<string>? progress)
    {
        this.cache = cache;
        this.repository = repository;
        this.progress = progress;
    }

    /// <summary>The cache key of one app: a hash over the projects it is built from (ProjectClosure), Directory.Build.props and the recipe.</summary>
    public string SourcesHash(GuestApp app)
    {
        var parts = ProjectClosure.Directories(app.Project)
            .Select(directory => Path.GetRelativePath(repository.Root, directory) + ":" + ContentHash.OfTree(directory, HashedExtensions, []))
            .Prepend(PublishRecipe)
            .Append(ContentHash.OfFile(Path.Combine(repository.Root, "Directory.Build.props")));
        return ContentHash.OfBytes(System.Text.Encoding.UTF8.GetBytes(string.Join('+', parts)));
    }

    /// <summary>Publishes each app whose sources changed since its last publish; reuses the others.</summary>
    public async Task<GuestPayload> PublishAsync(CancellationToken cancellationToken)
    {
        var published = await PublishAppsAsync(GuestApp.All(repository), cancellationToken).ConfigureAwait(false);
        var libraries = await SharedLibraryCollector.CollectAsync(published.Select(p => p.ExecutablePath), includeDlopened: true, cancellationToken).ConfigureAwait(false);
        return new GuestPayload(published, libraries);
    }

    /// <summary>Publishes (or reuses) only <paramref name="apps"/>, e.g. luod and luoctl for the Debian package.</summary>
    public async Task<IReadOnlyList<PublishedApp>> PublishAppsAsync(IEnumerable<GuestApp> apps, CancellationToken cancellationToken)
    {
        var published = new List<PublishedApp>();
        using (await CacheLock.AcquireAsync(cache.LockFile("guest-publish"), "the guest publish", progress, cancellationToken).ConfigureAwait(false))
        {
            RemoveInterruptedPublishes();
            foreach (var app in apps)
            {
                var directory = cache.GuestAppDirectory(app.Subdirectory, SourcesHash(app));
                if (!Directory.Exists(directory))
                {
                    await PublishAppAsync(app, directory, cancellationToken).ConfigureAwait(false);
                    HarnessCache.PruneOldest(cache.GuestDirectory, KeptPublishes - 1,
                        name => name.StartsWith(app.Subdirectory + "-", StringComparison.Ordinal) && !name.Contains(".partial-", StringComparison.Ordinal), directory);
                }
                else
                {
                    // Marks it in use: pruning keeps the most recently used publishes, so a long test
                    // session reusing this one never loses it to other checkouts' publishes.
                    Directory.SetLastWriteTimeUtc(directory, DateTime.UtcNow);
                }
                published.Add(new PublishedApp(app, directory));
            }
            // Publishes of the earlier layout (one directory for all apps, named by a bare hash).
            HarnessCache.PruneOldest(cache.GuestDirectory, 0, name => name.Length == ContentHash.ShortLength && !name.Contains('-'));
        }
        return published;
    }

    /// <summary>
    /// The publish options of every native binary, for the guest and for a real host (README,
    /// "Installing on a host"): NativeAOT (trimmed, self-contained by nature), no ICU, no debug
    /// files, symbols stripped. A change here must change PublishRecipe.
    /// </summary>
    public static readonly IReadOnlyList<string> NativePublishArguments =
    [
        "-c", "Release", "-r", "linux-x64",
        "-p:PublishAot=true", "-p:InvariantGlobalization=true", "-p:DebugType=none", "-p:StripSymbols=true",
    ];

    /// <summary>dotnet from $PATH, else the host running us (set by `dotnet test` / `dotnet run`).</summary>
    private static string DotnetExecutable() =>
        HostPrerequisites.FindInPath("dotnet") ?? Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";

    /// <summary>Callers hold the publish lock, so any partial directory is left over from an interrupted run.</summary>
    private void RemoveInterruptedPublishes()
    {
        foreach (var stale in Directory.Exists(cache.GuestDirectory) ? Directory.GetDirectories(cache.GuestDirectory, "*.partial-*") : [])
        {
            Directory.Delete(stale, recursive: true);
        }
    }

    private async Task PublishAppAsync(GuestApp app, string directory, CancellationToken cancellationToken)
    {
        var staging = directory + $".partial-{Environment.ProcessId}";
        Directory.CreateDirectory(staging);
        var log = staging + ".log";
        File.Delete(log);

        HostPrerequisites.Require("Publishing the guest's native binaries", HostPrerequisites.NativePublish);
        var project = app.Project;
        progress?.Report($"publishing {app.Executable} ({Path.GetFileNameWithoutExtension(project)}) for the guest (NativeAOT, ≈ 1.5 min)");
        await using (var heartbeat = new ProgressHeartbeat(progress, elapsed => $"  still publishing {app.Executable} ({elapsed.TotalSeconds:0} s)"))
        {
            var command = new ExternalCommand(DotnetExecutable(),
            [
                "publish", project,
                .. NativePublishArguments,
                "-p:UseSharedCompilation=false",
                "--disable-build-servers", "-nologo",
                // Own bin/obj: developers building the same projects at the same time must not share intermediates.
                "--artifacts-path", Path.Combine(cache.GuestDirectory, ".artifacts"),
                "-o", staging,
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
            progress?.Report($"  {app.Executable}: {new FileInfo(Path.Combine(staging, app.Executable)).Length / 1048576.0:0.0} MB native in {heartbeat.Elapsed.TotalSeconds:0} s");
        }

        if (!File.Exists(Path.Combine(staging, app.Executable)))
        {
            throw new HarnessException($"dotnet publish did not produce {app.Executable} in {staging}; check the AssemblyName in {app.Project}.");
        }
        // A native publish is one file; anything beside it (a managed dll, a runtime library)
        // means the publish fell back from NativeAOT and would bloat every guest image.
        var strays = Directory.EnumerateFileSystemEntries(staging).Select(Path.GetFileName).Where(n => n != app.Executable).ToArray();
        if (strays.Length > 0)
        {
            throw new HarnessException($"The NativeAOT publish of {app.Project} left {string.Join(", ", strays)} beside {app.Executable} in {staging}; " +
                $"a native guest binary is a single file. Check the publish log {log}.");
        }
        Directory.Move(staging, directory);
        File.Move(log, directory + ".log", overwrite: true);
    }
}
