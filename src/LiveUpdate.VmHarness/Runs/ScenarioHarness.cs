// ScenarioHarness: the facade the VM tests and the luvm CLI use. Ensures kernels (fetch + build,
// cached), the guest payload and the initramfs, boots QEMU through the chain and returns a
// VmRunResult. Every run gets its own cache/runs/<timestamp>-<scenario>/ directory.
using System.Diagnostics;
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness.GuestImage;
using LiveUpdate.VmHarness.Host;
using LiveUpdate.VmHarness.Kernels;
using LiveUpdate.VmHarness.Qemu;

namespace LiveUpdate.VmHarness.Runs;

public sealed class ScenarioHarness
{
    /// <summary>Run directories beyond this many (oldest first) are deleted when a new run starts.</summary>
    public const int KeptRuns = 40;

    private readonly IProgress<string>? progress;
    private readonly Lock payloadGate = new();
    private Task<GuestPayload>? payload;

    public ScenarioHarness(HarnessCache cache, RepositoryLayout repository, IProgress<string>? progress = null)
    {
        Cache = cache;
        Repository = repository;
        this.progress = progress;
    }

    public HarnessCache Cache { get; }

    public RepositoryLayout Repository { get; }

    /// <summary>A harness on $LIVEUPDATE_CACHE (or ~/.cache/liveupdate) and the checkout this runs from.</summary>
    public static ScenarioHarness FromEnvironment(IProgress<string>? progress = null) =>
        new(HarnessCache.FromEnvironment(), RepositoryLayout.Locate(), progress);

    /// <summary>Fetches and builds the highest available linux-source-<paramref name="series"/> (cached).</summary>
    public Task<PreparedKernel> EnsureKernelAsync(string series, IProgress<string>? progress, CancellationToken cancellationToken) =>
        EnsureKernelAsync(series, packageVersion: null, progress, cancellationToken);

    /// <summary>Fetches and builds linux-source-<paramref name="series"/> at <paramref name="packageVersion"/> (null: highest).</summary>
    public async Task<PreparedKernel> EnsureKernelAsync(string series, string? packageVersion, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        progress ??= this.progress;
        var source = await new KernelSourceFetcher(Cache, progress).FetchAsync(series, packageVersion, cancellationToken).ConfigureAwait(false);
        return await new KernelBuilder(Cache, Repository, progress).BuildAsync(source, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Publishes lu-guest and luoctl for the guest (cached by source hash) and collects their libraries.
    /// Done once per ScenarioHarness: every run of one test session uses the same guest binaries, even
    /// while someone edits src/ meanwhile.
    /// </summary>
    public Task<GuestPayload> EnsureGuestPayloadAsync(CancellationToken cancellationToken)
    {
        lock (payloadGate)
        {
            if (payload is null || payload.IsFaulted || payload.IsCanceled)
            {
                payload = new GuestPayloadPublisher(Cache, Repository, progress).PublishAsync(cancellationToken);
            }
            return payload;
        }
    }

    public async Task<VmRunResult> RunScenarioAsync(VmRunRequest request, CancellationToken cancellationToken)
    {
        var wall = Stopwatch.StartNew();
        var commandLine = ScenarioCommandLine.Compose(request.Scenario, request.Chain, 0, request.ScenarioParameters, request.QuietConsole, request.FixedOptions);
        if (request.Timeout <= TimeSpan.Zero || request.MemoryMiB < 256)
        {
            throw new HarnessException($"Timeout {request.Timeout} / memory {request.MemoryMiB} MiB are not usable; give a positive timeout and at least 256 MiB.");
        }
        HostPrerequisites.Require("Running the VM", HostPrerequisites.VmRun);

        var kernels = new List<PreparedKernel>();
        foreach (var tag in request.Chain.Distinct())
        {
            request.PackageVersions.TryGetValue(tag, out var pinned);
            kernels.Add(await EnsureKernelAsync(tag, pinned, progress, cancellationToken).ConfigureAwait(false));
        }
        var guest = await EnsureGuestPayloadAsync(cancellationToken).ConfigureAwait(false);

        HarnessCache.PruneOldest(Cache.RunsDirectory, KeptRuns - 1, _ => true);
        var runDirectory = Cache.CreateRunDirectory(request.Scenario, DateTimeOffset.UtcNow);
        var initramfs = Path.Combine(runDirectory, "initramfs.cpio");
        var extras = await GuestImageExtras.ForScenarioAsync(request.Scenario, Repository, Cache, cancellationToken,
            async () => (await new Packaging.DebianPackageBuilder(Cache, Repository, progress).BuildAsync(cancellationToken).ConfigureAwait(false)).Path, progress).ConfigureAwait(false);
        // The root words go on every hop's command line (kexec hops keep the whole line; cold hops compose it again).
        IReadOnlyList<string> rootWords = extras.SystemRootDisk is null ? []
            : [GuestCommandLineKeys.Word(GuestCommandLineKeys.SystemRoot, SystemdRoot.GuestDevice), GuestCommandLineKeys.Word(GuestCommandLineKeys.RootInit, extras.RootInit)];
        if (rootWords.Count > 0)
            commandLine += " " + string.Join(' ', rootWords);
        var contents = new InitramfsContents(Repository.GuestInitScript, InitramfsContents.DefaultBusybox, guest, kernels, extras);
        var archiveBytes = await InitramfsBuilder.BuildAsync(contents, initramfs, cancellationToken).ConfigureAwait(false);
        var initramfsBytes = await InitramfsCompressor.ApplyAsync(request.InitramfsCompression, initramfs, cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(runDirectory, "cmdline"), commandLine + "\n", cancellationToken).ConfigureAwait(false);
        progress?.Report($"initramfs {archiveBytes / 1048576.0:0.0} MiB{(request.InitramfsCompression == InitramfsCompression.None ? "" : $" ({request.InitramfsCompression}: {initramfsBytes / 1048576.0:0.0} MiB)")}; booting {kernels[0].Release} for scenario {request.Scenario} (chain {string.Join(',', request.Chain)}) in {runDirectory}");

        var runClock = Stopwatch.StartNew();
        var consoleText = new System.Text.StringBuilder();
        var resultsText = new System.Text.StringBuilder();
        QemuOutcome outcome;
        var hop = 0;
        while (true)
        {
            // A cold-reboot run boots QEMU once per hop; each boot gets its own logs, joined afterwards.
            var suffix = hop == 0 ? "" : $".hop{hop}";
            var hopCommandLine = hop == 0 && !request.ColdRebootBetweenHops
                ? commandLine
                : ScenarioCommandLine.Compose(request.Scenario, request.Chain, hop, [.. request.ScenarioParameters, GuestCommandLineKeys.Word(GuestCommandLineKeys.Cold, 1)], request.QuietConsole, request.FixedOptions)
                    + (rootWords.Count > 0 ? " " + string.Join(' ', rootWords) : "");
            var kernel = kernels.First(k => k.Series == request.Chain[hop]);
            var launch = new QemuLaunch(kernel.BzImage, initramfs, hopCommandLine,
                Path.Combine(runDirectory, $"console{suffix}.log"), Path.Combine(runDirectory, $"results{suffix}.jsonl"))
            {
                MemoryMiB = request.MemoryMiB,
                Forwards = request.Forwards,
                DiskImage = request.DiskImage,
                PayloadDisk = extras.PayloadDisk,
                RootDisk = extras.SystemRootDisk,
            };
            await File.AppendAllTextAsync(Path.Combine(runDirectory, "qemu.cmd"),
                new ExternalCommand(QemuLaunch.Executable, launch.Arguments).Display + "\n", cancellationToken).ConfigureAwait(false);

            var remaining = request.Timeout - runClock.Elapsed;
            await using (new ProgressHeartbeat(progress, elapsed => $"  VM running {elapsed.TotalSeconds:0} s, {ResultLineCount(launch.ResultsLog)} result line(s) so far", TimeSpan.FromSeconds(30)))
            await using (request.OnGuestLine is { } observer ? new GuestLineWatcher(launch.ResultsLog, runClock, observer) : null)
            {
                outcome = remaining <= TimeSpan.Zero
                    ? new QemuOutcome(null, TimedOut: true, TimeSpan.Zero, Path.Combine(runDirectory, "qemu.log"))
                    : await QemuRunner.RunAsync(launch, remaining, Path.Combine(runDirectory, $"qemu{suffix}.log"), cancellationToken).ConfigureAwait(false);
            }
            consoleText.Append(File.Exists(launch.ConsoleLog) ? await File.ReadAllTextAsync(launch.ConsoleLog, cancellationToken).ConfigureAwait(false) : "");
            var hopResults = File.Exists(launch.ResultsLog) ? await File.ReadAllTextAsync(launch.ResultsLog, cancellationToken).ConfigureAwait(false) : "";
            resultsText.Append(hopResults).Append('\n');
            var hopReport = GuestReport.Parse(hopResults);
            if (!request.ColdRebootBetweenHops || outcome.TimedOut || hopReport.End is not null
                || hop + 1 >= request.Chain.Count || hopReport.HighestHop != hop)
            {
                break;
            }
            hop++;
            progress?.Report($"guest rebooted cold after hop {hop - 1}; starting QEMU again on {request.Chain[hop]} for hop {hop}");
        }
        if (request.ColdRebootBetweenHops)
        {
            await File.WriteAllTextAsync(Path.Combine(runDirectory, "console.log"), consoleText.ToString(), cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(runDirectory, "results.jsonl"), resultsText.ToString(), cancellationToken).ConfigureAwait(false);
        }

        var console = ConsoleLogAnalysis.ReadFile(Path.Combine(runDirectory, "console.log"));
        var result = new VmRunResult(
            request, kernels, runDirectory,
            GuestReport.ReadFile(Path.Combine(runDirectory, "results.jsonl")),
            outcome,
            ConsoleLogAnalysis.BootToInitSeconds(console),
            ConsoleLogAnalysis.Tail(console),
            wall.Elapsed,
            initramfsBytes);
        if (result.Passed)
        {
            // 100 MB per run adds up; a failed run keeps it for reproduction (see qemu.cmd).
            File.Delete(initramfs);
        }
        progress?.Report($"run {(result.Passed ? "passed" : "FAILED")} in {result.WallTime.TotalSeconds:0.0} s; logs in {runDirectory}");
        return result;
    }

    private static int ResultLineCount(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadLines(path).Count(l => l.Trim('\r', '\0').Length > 0) : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
