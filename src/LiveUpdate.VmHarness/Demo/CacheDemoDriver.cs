// CacheDemoDriver: the main job (`luvm demo`, README). Boots the first kernel with a virtio NIC,
// lets the guest start luod and lucache and load N MiB of items, then probes the cache from
// the host through QEMU's port forward while the guest runs `luoctl update` into the next
// kernel, and keeps probing until the guest has verified every item and read luod's report.
// The host's probe is the client's view of the blackout (longest gap between replies, on the
// host's monotonic clock); luod's report is the daemon's view. Progress is reported as the
// guest's steps arrive.
using System.Text.Json.Nodes;
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness.Host;
using LiveUpdate.VmHarness.Qemu;
using LiveUpdate.VmHarness.Runs;
using LuCache;

namespace LiveUpdate.VmHarness.Demo;

public sealed record CacheDemoOptions(int Mib, IReadOnlyList<string> Chain)
{
    /// <summary>
    /// 32 MiB: loading and verifying then take ≈ 35 s of the demo under TCG (64 MiB: load 28 s
    /// at 2.3 MiB/s, verify 41 s, on a busy 2-core host); the rest is boots, .NET starts and the update.
    /// </summary>
    public const int DefaultMib = 32;

    public static readonly IReadOnlyList<string> DefaultChain = ["7.2", "7.3"];

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(15);

    public int MemoryMiB { get; init; } = QemuLaunch.DefaultMemoryMiB;
}

public sealed record CacheDemoResult(
    VmRunResult Run,
    ProbeResult? Probe,
    TimeSpan? ProbeStartedAt,
    string? LoadSummary,
    string? VerifySummary,
    long? LuodCacheBlackoutNs,
    long? LuodUncertaintyNs,
    string? ReportTable,
    string? SvgPath)
{
    /// <summary>Whether the client saw the cache go away and come back with its data (replies, and hits, after the gap).</summary>
    public bool ClientSawItBack =>
        Probe is { Hits: > 0, LastReplyAt: { } last } probe && last > probe.LongestGapStartedAt + probe.LongestGap - TimeSpan.FromMilliseconds(1);

    public bool Passed => Run.Passed && ClientSawItBack && Probe!.LongestGap > TimeSpan.Zero;
}

public static class CacheDemoDriver
{
    public const int GuestPort = 11211;

    public static async Task<CacheDemoResult> RunAsync(ScenarioHarness harness, CacheDemoOptions options, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var forward = PortForward.ToGuest(GuestPort);
        using var probeStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var probe = new CacheProbe("127.0.0.1", forward.HostPort);
        Task<ProbeResult>? probing = null;
        TimeSpan? probeStartedAt = null;
        var gate = new Lock();

        void OnLine(ObservedGuestLine observed)
        {
            var line = observed.Line;
            if (line.Type == GuestReportLineTypes.Step)
            {
                progress?.Report($"  guest hop {line.Hop} ({line.Release}): {(line.Ok == true ? "ok  " : "FAIL")} {line.Name} ({line.Ms:0} ms){Brief(line)}");
                if (line is { Name: StepNames.CacheDemo.Load, Ok: true })
                {
                    lock (gate)
                    {
                        probeStartedAt = observed.At;
                        probing ??= Task.Run(() => probe.RunAsync(probeStop.Token));
                    }
                    progress?.Report($"  client: probing the cache from the host at 127.0.0.1:{forward.HostPort} (→ guest {PortForward.GuestAddress}:{GuestPort}) every 10 ms");
                }
                if (line.Name == StepNames.LuodUpdateRequest)
                {
                    progress?.Report($"  client so far: {probe.Snapshot().Describe()}");
                }
            }
            else if (line.Type == GuestReportLineTypes.Boot && line.Hop > 0)
            {
                progress?.Report($"  guest: kernel {line.Release} booted (hop {line.Hop}); client so far: {probe.Snapshot().Describe()}");
            }
        }

        var request = new VmRunRequest(ScenarioNames.CacheDemo, options.Chain)
        {
            Timeout = options.Timeout,
            MemoryMiB = options.MemoryMiB,
            Forwards = [forward],
            ScenarioParameters = [GuestCommandLineKeys.Word(GuestCommandLineKeys.DemoMib, options.Mib)],
            OnGuestLine = OnLine,
        };
        VmRunResult run;
        await using (new ProgressHeartbeat(progress, _ => probing is null ? "" : $"  client: {probe.Snapshot().Describe()}", TimeSpan.FromSeconds(15)))
        {
            run = await harness.RunScenarioAsync(request, cancellationToken).ConfigureAwait(false);
        }
        await probeStop.CancelAsync().ConfigureAwait(false);
        ProbeResult? probeResult = probing is null ? null : await probing.ConfigureAwait(false);

        string? Detail(string name) => run.Report.Steps.LastOrDefault(s => s.Name == name && s.Ok)?.Detail;
        long? blackout = null, uncertainty = null;
        if (Detail(StepNames.CacheDemo.Report) is { } json)
        {
            var report = JsonNode.Parse(json);
            blackout = UpdateReportJson.ClientBlackoutNs(report, "cache");
            uncertainty = report?["uncertaintyNs"]?.GetValue<long>();
        }
        string? svgPath = null;
        if (Detail(StepNames.CacheDemo.ReportSvg) is { } svg)
        {
            svgPath = Path.Combine(run.RunDirectory, "update.svg");
            await File.WriteAllTextAsync(svgPath, svg, cancellationToken).ConfigureAwait(false);
        }
        return new CacheDemoResult(run, probeResult, probeStartedAt, Detail(StepNames.CacheDemo.Load), Detail(StepNames.CacheDemo.Verify),
            blackout, uncertainty, Detail(StepNames.CacheDemo.ReportTable), svgPath);
    }

    private static string Brief(GuestReportLine line)
    {
        var detail = (line.Detail ?? "").ReplaceLineEndings(" ");
        return detail.Length == 0 || detail.StartsWith('{') || detail.StartsWith('<') ? ""
            : " — " + (detail.Length > 160 ? detail[..160] + "…" : detail);
    }
}
