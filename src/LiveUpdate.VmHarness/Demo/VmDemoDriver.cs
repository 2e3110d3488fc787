// VmDemoDriver: the VMM workload of the main job (`luvm demo --workload vm`, `./demo.sh --workload vm`,
// the vm-update VM test): a QEMU VM run by luqemu inside the test guest keeps its RAM, its boot and
// its uptime through `luoctl update` into the next kernel. Three views of the VM's blackout:
// luod's (participant "vm": QMP STOP → RESUME, across the kexec), the host's silence of the VM's
// heartbeat (forwarded by lu-guest as marks the host stamps on arrival: VmHeartbeat, a client's view
// that also holds any starvation before the stop), and luqemu's own account. Continuity is judged
// here on the host: the first kernel's console (sent in the running step) against the next one's.
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness.Runs;

namespace LiveUpdate.VmHarness.Demo;

public sealed record VmDemoOptions(int Mib, IReadOnlyList<string> Chain)
{
    public const int DefaultMib = 64;

    public static readonly IReadOnlyList<string> DefaultChain = ["7.2", "7.3"];

    /// <summary>Fill the VM's RAM with pseudo-random bytes from this seed before it boots (the benchmark: RAM in use).</summary>
    public ulong? FillSeed { get; init; }

    /// <summary>luqemu hashes the VM's RAM after the stop and after the claim (the test does; it lengthens the blackout by the hashing).</summary>
    public bool VerifyRam { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(25);

    public int MemoryMiB { get; init; } = Qemu.QemuLaunch.DefaultMemoryMiB;
}

public sealed record VmDemoResult(
    VmRunResult Run,
    VmDemoOptions Options,
    long? LuodBlackoutNs,
    long? LuodUncertaintyNs,
    VmHeartbeatGap? Heartbeat,
    string? ContinuityProblem,
    VmGuestTick? LastTickBefore,
    VmGuestTick? FirstTickAfter,
    string? FreezeAccount,
    string? ResumeAccount,
    string? ReportTable,
    string? SvgPath)
{
    public bool Passed => Run.Passed && ContinuityProblem is null && LuodBlackoutNs > 0 && Heartbeat?.Gap > TimeSpan.Zero;
}

public static partial class VmDemoDriver
{
    public static async Task<VmDemoResult> RunAsync(ScenarioHarness harness, VmDemoOptions options, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var beats = new List<VmBeat>();
        var gate = new Lock();
        void OnLine(ObservedGuestLine observed)
        {
            var line = observed.Line;
            if (VmHeartbeat.From(observed) is { } beat)
            {
                lock (gate) beats.Add(beat);
                return;
            }
            if (line.Type == GuestReportLineTypes.Step)
                progress?.Report($"  guest hop {line.Hop} ({line.Release}): {(line.Ok == true ? "ok  " : "FAIL")} {line.Name} ({line.Ms:0} ms){Brief(line)}");
            else if (line.Type == GuestReportLineTypes.Boot && line.Hop > 0)
                progress?.Report($"  guest: kernel {line.Release} booted (hop {line.Hop})");
        }

        var request = new VmRunRequest(ScenarioNames.VmUpdate, options.Chain)
        {
            Timeout = options.Timeout,
            MemoryMiB = options.MemoryMiB,
            ScenarioParameters = [GuestCommandLineKeys.Word(GuestCommandLineKeys.VmMib, options.Mib), 
                .. options.VerifyRam ? [GuestCommandLineKeys.Word(GuestCommandLineKeys.VmVerifyRam, 1)] : Array.Empty<string>(),
                .. options.FillSeed is { } seed ? [GuestCommandLineKeys.Word(GuestCommandLineKeys.VmFillSeed, seed.ToString(System.Globalization.CultureInfo.InvariantCulture))] : Array.Empty<string>()],
            OnGuestLine = OnLine,
        };
        var run = await harness.RunScenarioAsync(request, cancellationToken).ConfigureAwait(false);

        string? Detail(int hop, string name) => run.Report.Steps.LastOrDefault(s => s.Hop == hop && s.Name == name && s.Ok)?.Detail;
        long? blackout = null, uncertainty = null;
        if (Detail(1, StepNames.VmUpdate.Report) is { } json)
        {
            var report = JsonNode.Parse(json);
            blackout = UpdateReportJson.ClientBlackoutNs(report, "vm");
            uncertainty = report?["uncertaintyNs"]?.GetValue<long>();
        }
        var before = VmGuestConsole.Parse(Detail(0, StepNames.VmUpdate.Running) ?? "");
        var after = VmGuestConsole.Parse(Detail(1, StepNames.VmUpdate.Continuity) ?? "");
        string? problem = before.Seeds.Count == 1
            ? VmGuestConsole.ContinuityProblem(before, after, before.Seeds[0].Sha256)
            : $"the first kernel's console shows {before.Seeds.Count} boots of the VM (expected exactly one)";

        VmHeartbeatGap? heartbeat;
        lock (gate) heartbeat = VmHeartbeat.Across(beats);
        string console = File.Exists(run.ConsoleLog) ? await File.ReadAllTextAsync(run.ConsoleLog, cancellationToken).ConfigureAwait(false) : "";
        string? freeze = FreezeLine().Match(console) is { Success: true } m ? m.Value.Trim() : null;
        string? resume = Detail(1, StepNames.VmUpdate.VmStart) is { } start && start.IndexOf("VM vm resumed", StringComparison.Ordinal) is int at and >= 0
            ? start[at..].Split(" luqemu: VM vm taking part")[0] : null;
        string? svgPath = null;
        if (Detail(1, StepNames.VmUpdate.ReportSvg) is { } svg)
        {
            svgPath = Path.Combine(run.RunDirectory, "update.svg");
            await File.WriteAllTextAsync(svgPath, svg, cancellationToken).ConfigureAwait(false);
        }
        return new VmDemoResult(run, options, blackout, uncertainty, heartbeat, problem, before.Last, after.Ticks.FirstOrDefault(),
            freeze, resume, Detail(1, StepNames.VmUpdate.ReportTable), svgPath);
    }

    [GeneratedRegex(@"luqemu: update \S+: vCPUs stopped at [^\r\n]*")]
    private static partial Regex FreezeLine();

    private static string Brief(GuestReportLine line)
    {
        var detail = (line.Detail ?? "").ReplaceLineEndings(" ");
        return detail.Length == 0 || detail.StartsWith('{') || detail.StartsWith('<') || detail.StartsWith("vmguest", StringComparison.Ordinal) ? ""
            : " — " + (detail.Length > 200 ? detail[..200] + "…" : detail);
    }
}
