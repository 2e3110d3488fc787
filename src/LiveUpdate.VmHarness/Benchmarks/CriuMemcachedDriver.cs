// CriuMemcachedDriver: one run of the guest scenario criu-memcached (issue 16), with the host as
// the cache's client through QEMU's port forward: when the guest's cache serves, the host loads N
// MiB of seeded items into it (memcached; lucache preloads the same items itself), starts probing
// (CacheProbe: one get every 10 ms, reconnecting; its longest gap is the client's dark time) and
// sets CriuWays.LoadedKey; the guest then carries the cache across the kernel change its way
// (memory, disk, lucache). When the guest says the cache serves again, the host reads every item
// back (SeededItemsClient.VerifyAsync, every byte and flag) and sets CriuWays.VerifiedKey with the
// counts, which the guest reports. Figures: the guest's paused → serving marks on the host's clock
// (the blackout, the same definition for every way), luod's figure from `luoctl report` (memory,
// lucache), the probe's gap, and the steps' own times as the programs printed them.
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness.Host;
using LiveUpdate.VmHarness.Qemu;
using LiveUpdate.VmHarness.Runs;
using LuCache;

namespace LiveUpdate.VmHarness.Benchmarks;

public sealed record CriuMemcachedOptions(string Way, int Mib, IReadOnlyList<string> Chain)
{
    public static readonly IReadOnlyList<string> DefaultChain = ["7.2", "7.3"];

    public int MemoryMiB { get; init; } = QemuLaunch.DefaultMemoryMiB;

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(12);
}

public sealed record CriuMemcachedResult(
    CriuMemcachedOptions Options,
    VmRunResult Run,
    SeededLoadResult? Load,
    SeededVerifyResult? Verify,
    ProbeResult? Probe,
    double? BlackoutMs,
    double? LuodBlackoutMs,
    IReadOnlyDictionary<string, double> StepMs,
    double? ImagesMiB,
    string? ReportTable,
    string? HostFailure)
{
    /// <summary>The guest passed (it checks the host's verify counts) and the host's own verify found every item.</summary>
    public bool Passed => Run.Passed && Verify is { AllThere: true } && HostFailure is null;

    public string Describe() =>
        $"{Options.Way} {Options.Mib} MiB: {(Passed ? "passed" : "FAILED")}; blackout (paused → serving) {Ms(BlackoutMs)} ms, luod {Ms(LuodBlackoutMs)} ms, " +
        $"client's longest gap {Ms(Probe?.LongestGap.TotalMilliseconds)} ms; steps: {string.Join(", ", StepMs.Select(s => $"{s.Key} {s.Value:0} ms"))}" +
        (Load is null ? "" : $"; {Load.Describe()}") + (Verify is null ? "" : $"; {Verify.Describe()}") + (HostFailure is null ? "" : $"; host: {HostFailure}");

    private static string Ms(double? ms) => ms is { } v ? v.ToString("0", CultureInfo.InvariantCulture) : "—";
}

public static partial class CriuMemcachedDriver
{
    public static async Task<CriuMemcachedResult> RunAsync(ScenarioHarness harness, CriuMemcachedOptions options, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        if (!CriuWays.All.Contains(options.Way))
            throw new HarnessException($"criu-memcached: way '{options.Way}' is not one of {string.Join(", ", CriuWays.All)}.");
        var forward = PortForward.ToGuest(CriuWays.Port);
        var probe = new CacheProbe("127.0.0.1", forward.HostPort);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var gate = new Lock();
        var marks = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        Task<ProbeResult>? probing = null;
        Task<SeededLoadResult?>? loading = null;
        Task<SeededVerifyResult?>? verifying = null;
        string? hostFailure = null;
        void Fail(string why)
        {
            lock (gate) hostFailure ??= why;
            progress?.Report($"  host: {why}");
        }

        async Task<SeededLoadResult?> LoadAsync()
        {
            try
            {
                SeededLoadResult? load = null;
                if (options.Way != CriuWays.Lucache)
                {
                    progress?.Report($"  host: loading {options.Mib} MiB of seeded items into memcached through 127.0.0.1:{forward.HostPort}");
                    load = await SeededItemsClient.LoadAsync("127.0.0.1", forward.HostPort, options.Mib, CriuWays.Seed, 4, cancellationToken: stop.Token).ConfigureAwait(false);
                    progress?.Report($"  host: {load.Describe()}");
                    if (load.Failures > 0) Fail($"{load.Failures} sets failed");
                }
                lock (gate) probing ??= Task.Run(() => probe.RunAsync(stop.Token), stop.Token);
                int count = ItemGenerator.CountFor(options.Mib, CriuWays.Seed);
                await SetAsync(forward.HostPort, CriuWays.LoadedKey, count.ToString(CultureInfo.InvariantCulture), stop.Token).ConfigureAwait(false);
                return load;
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or InvalidDataException)
            {
                Fail($"loading failed: {e.Message}");
                return null;
            }
        }

        async Task<SeededVerifyResult?> VerifyAsync()
        {
            try
            {
                var verify = await SeededItemsClient.VerifyAsync("127.0.0.1", forward.HostPort, options.Mib, CriuWays.Seed, 4, cancellationToken: stop.Token).ConfigureAwait(false);
                progress?.Report($"  host: {verify.Describe()}");
                await SetAsync(forward.HostPort, CriuWays.VerifiedKey,
                    string.Create(CultureInfo.InvariantCulture, $"{verify.Count} {verify.Verified} {verify.Missing} {verify.Wrong}"), stop.Token).ConfigureAwait(false);
                return verify;
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or InvalidDataException)
            {
                Fail($"verifying failed: {e.Message}");
                return null;
            }
        }

        void OnLine(ObservedGuestLine observed)
        {
            var line = observed.Line;
            if (line.Type == GuestReportLineTypes.Mark && line.Name is { } name)
            {
                lock (gate) marks.TryAdd(name, observed.At);
                if (name is StepNames.CriuMemcached.PausedMark or StepNames.CriuMemcached.ServingMark)
                    progress?.Report($"  guest mark {name} (hop {line.Hop}); client so far: {probe.Snapshot().Describe()}");
            }
            else if (line.Type == GuestReportLineTypes.Step)
            {
                var detail = (line.Detail ?? "").ReplaceLineEndings(" ");
                progress?.Report($"  guest hop {line.Hop} ({line.Release}): {(line.Ok == true ? "ok  " : "FAIL")} {line.Name} ({line.Ms:0} ms)" +
                    (detail.Length == 0 || detail.StartsWith('{') || detail.StartsWith('<') ? "" : " — " + (detail.Length > 240 ? detail[..240] + "…" : detail)));
                lock (gate)
                {
                    if (line is { Name: StepNames.CriuMemcached.CacheStart, Ok: true } && loading is null) loading = Task.Run(LoadAsync, stop.Token);
                    if (line is { Name: StepNames.CriuMemcached.Restore, Ok: true } && verifying is null) verifying = Task.Run(VerifyAsync, stop.Token);
                }
            }
        }

        string? disk = null;
        VmRunResult run;
        try
        {
            if (options.Way == CriuWays.Disk)
            {
                // Room for criu's images of memcached (its items, slabs and hash table) twice over.
                disk = await BlackoutBenchmark.CreateDiskImageAsync(harness.Cache, "criu-memcached", (2L * options.Mib + 512) << 20, "criu-memcached's data disk", progress, cancellationToken).ConfigureAwait(false);
            }
            var request = new VmRunRequest(ScenarioNames.CriuMemcached, options.Chain)
            {
                Timeout = options.Timeout,
                MemoryMiB = options.MemoryMiB,
                Forwards = [forward],
                DiskImage = disk,
                ColdRebootBetweenHops = options.Way == CriuWays.Disk,
                ScenarioParameters = [GuestCommandLineKeys.Word(GuestCommandLineKeys.CriuMib, options.Mib), GuestCommandLineKeys.Word(GuestCommandLineKeys.CriuWay, options.Way)],
                OnGuestLine = OnLine,
            };
            await using (new ProgressHeartbeat(progress, _ => probing is null ? "" : $"  client: {probe.Snapshot().Describe()}", TimeSpan.FromSeconds(20)))
            {
                run = await harness.RunScenarioAsync(request, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            if (disk is not null) File.Delete(disk);
        }
        await stop.CancelAsync().ConfigureAwait(false);
        Task<SeededLoadResult?>? loaded;
        Task<SeededVerifyResult?>? verified;
        Task<ProbeResult>? probed;
        lock (gate) (loaded, verified, probed) = (loading, verifying, probing);
        var load = loaded is null ? null : await Settle(loaded).ConfigureAwait(false);
        var verify = verified is null ? null : await Settle(verified).ConfigureAwait(false);
        ProbeResult? probeResult = probed is null ? null : await probed.ConfigureAwait(false);

        string? Detail(string name) => run.Report.Steps.LastOrDefault(s => s.Name == name && s.Ok)?.Detail;
        double? blackout;
        lock (gate)
            blackout = marks.TryGetValue(StepNames.CriuMemcached.PausedMark, out var paused) && marks.TryGetValue(StepNames.CriuMemcached.ServingMark, out var serving)
                ? (serving - paused).TotalMilliseconds : null;
        string participant = options.Way == CriuWays.Memory ? CriuWays.MemcachedParticipant : CriuWays.LucacheParticipant;
        double? luod = null;
        if (Detail(StepNames.CriuMemcached.Report) is { } json)
        {
            luod = UpdateReportJson.ClientBlackoutNs(JsonNode.Parse(json), participant) / 1e6;
        }
        string stepText = string.Join("\n", new[] { StepNames.CriuMemcached.Dump, StepNames.CriuMemcached.Restore }.Select(Detail).Where(d => d is not null));
        var steps = StepTimes(stepText);
        double? images = ImagesMiBIn(stepText);
        string? failure;
        lock (gate) failure = hostFailure;
        if (verify is null && run.Passed) failure ??= "the host never verified the items";
        if (!run.Passed && run.Report.Steps.Where(s => !s.Ok).Select(s => KerndatFailure(s.Detail)).FirstOrDefault(k => k is not null) is { } kerndat)
            failure ??= $"criu cannot start on this kernel: its kernel-feature probe fails at: {kerndat}";
        var result = new CriuMemcachedResult(options, run, load, verify, probeResult, blackout, luod, steps, images, Detail(StepNames.CriuMemcached.ReportTable), failure);
        progress?.Report($"criu-memcached: {result.Describe()}");
        return result;
    }

    private static async Task<T?> Settle<T>(Task<T?> task) where T : class
    {
        try
        {
            return await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private static async Task SetAsync(int port, string key, string value, CancellationToken cancellationToken)
    {
        using var client = await TextClient.ConnectAsync("127.0.0.1", port, cancellationToken).ConfigureAwait(false);
        var request = new MemoryStream();
        TextClient.AppendSet(request, System.Text.Encoding.ASCII.GetBytes(key), 0, System.Text.Encoding.ASCII.GetBytes(value));
        await client.SendAsync(request.ToArray(), cancellationToken).ConfigureAwait(false);
        string reply = await client.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        if (reply != "STORED") throw new InvalidDataException($"set {key} answered '{reply}'");
    }

    /// <summary>
    /// The steps' own times in the programs' output, "NAME: MS ms" (lucriu's "lucriu: dump: 1234 ms, …",
    /// lu-guest's "dump: 812 ms; sync: 40 ms"): name → ms, the first of each name.
    /// </summary>
    public static IReadOnlyDictionary<string, double> StepTimes(string text)
    {
        var steps = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (Match match in StepTime().Matches(text))
        {
            steps.TryAdd(match.Groups["name"].Value, double.Parse(match.Groups["ms"].Value, CultureInfo.InvariantCulture));
        }
        return steps;
    }

    /// <summary>The size of criu's images as the output says it: "images 27 files, 270.1 MiB" or lucriu's "…, 27 images, 270.1 MiB".</summary>
    public static double? ImagesMiBIn(string text) =>
        ImagesSize().Match(text) is { Success: true } match ? double.Parse(match.Groups["mib"].Value, CultureInfo.InvariantCulture) : null;

    [GeneratedRegex(@"images?[^;\n]*?(?<mib>[0-9]+(?:\.[0-9]+)?) MiB")]
    private static partial Regex ImagesSize();

    [GeneratedRegex(@"(?:^|[\s;(])(?:lucriu: )?(?<name>[a-z][a-z-]*(?: [a-z-]+)*): (?<ms>[0-9]+(?:\.[0-9]+)?) ms", RegexOptions.Multiline)]
    private static partial Regex StepTime();

    /// <summary>
    /// criu's start-up probe ("kerndat") failing stops every criu command before it looks at any
    /// process; the error line just before "… failed when initializing kerndat." names the cause
    /// (e.g. "vdso: Unexpected rt vDSO area bounds"). Null when the output is not such a failure.
    /// </summary>
    public static string? KerndatFailure(string output)
    {
        var lines = output.Split('\n').Select(l => l.Trim()).ToArray();
        var at = Array.FindIndex(lines, l => l.Contains("failed when initializing kerndat", StringComparison.Ordinal));
        for (var i = at - 1; at > 0 && i >= 0; i--)
        {
            var error = lines[i].IndexOf("): ", StringComparison.Ordinal);
            if (lines[i].StartsWith("Error (", StringComparison.Ordinal) && error > 0 && !lines[i].Contains("Failed to fill", StringComparison.Ordinal))
            {
                return lines[i][(error + 3)..];
            }
        }
        return null;
    }
}
