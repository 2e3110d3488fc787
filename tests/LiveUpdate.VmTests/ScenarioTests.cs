// ScenarioTests: the VM tests. Each boots real kernels under QEMU with the LiveUpdate guest and
// asserts the run passed (FailureSummary explains a failure on its own). Trait Category=Vm, so
// `dotnet test --filter Category!=Vm` runs only the fast host tests.
using LiveUpdate.VmHarness;
using Xunit.Abstractions;

namespace LiveUpdate.VmTests;

[Collection(VmFixture.CollectionName)]
[Trait("Category", "Vm")]
public sealed class ScenarioTests : IDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(10);

    // Covers first-time kernel fetches and builds (≈6 min per series on 2 cores) plus the run itself.
    private static readonly TimeSpan OverallLimit = TimeSpan.FromMinutes(45);

    private readonly VmFixture fixture;
    private readonly ITestOutputHelper output;
    private readonly IDisposable attachment;

    public ScenarioTests(VmFixture fixture, ITestOutputHelper output)
    {
        this.fixture = fixture;
        this.output = output;
        attachment = fixture.AttachOutput(output);
    }

    public void Dispose() => attachment.Dispose();

    [Theory]
    [InlineData("7.2")]
    [InlineData("7.3")]
    public async Task S1_memfd_round_trip(string series)
    {
        var result = await RunAsync("s1", [series, series]);
        AssertMemfdsVerifiedOnEveryLaterHop(result, hops: 2);
    }

    [Theory]
    [InlineData("7.2")]
    [InlineData("7.3")]
    public async Task S2_refusals(string series)
    {
        var result = await RunAsync("s2", [series, series]);
        AssertStepsPassed(result, 0, "s2.pipe", "s2.socket", "s2.regular-file", "s2.duplicate-session", "s2.duplicate-token",
            "s2.same-file-twice", "s2.second-open", "s2.name-64-bytes", "s2.name-63-bytes");
        AssertStepsPassed(result, 1, "s2.unknown-session", "s2.retrieve-twice", "s2.unknown-token", "s2.preserve-into-incoming",
            "s2.retrieve-and-finish");
    }

    [Fact]
    public async Task S3_cross_version_chain()
    {
        var result = await RunAsync("s3", ["7.2", "7.3", "7.2"]);
        AssertMemfdsVerifiedOnEveryLaterHop(result, hops: 3);
        AssertStepsPassed(result, 1, "s1.preserve");
        Assert.StartsWith("7.3.", result.Report.Boots.Single(b => b.Hop == 1).Release);
        Assert.StartsWith("7.2.", result.Report.Boots.Single(b => b.Hop == 2).Release);
    }

    [Theory]
    [InlineData("7.2")]
    [InlineData("7.3")]
    public async Task S4_kernel_selftests(string series)
    {
        var result = await RunAsync("s4", [series, series]);
        AssertStepsPassed(result, 0, "s4.liveupdate", "s4.luo_kexec_simple.stage1", "s4.luo_multi_session.stage1");
        AssertStepsPassed(result, 1, "s4.luo_kexec_simple.stage2", "s4.luo_multi_session.stage2");
    }

    [Fact]
    public async Task S5_luod_custody_two_clients_across_kexec()
    {
        var result = await RunAsync("s5", ["7.2", "7.3"]);
        AssertStepsPassed(result, 0, "s5.luod-start", "s5.client-a.preserve", "s5.client-b.delegated-preserve");
        AssertStepsPassed(result, 1, "s5.luod-start", "s5.client-a.retrieve", "s5.client-b.claim", "s5.no-orphans");
        foreach (var step in result.Report.Steps.Where(s => s.Name is "s5.client-a.retrieve" or "s5.client-b.claim"))
            Assert.Matches("sha256=[0-9a-f]{64} — match", step.Detail);
        Assert.Contains("\"bootedByHandover\":true", result.Report.Steps.Single(s => s.Hop == 1 && s.Name == "s5.luod-start").Detail);
    }

    /// <summary>S6 (orphan reported, keep policy applied) and S7 (another uid can neither list nor claim) share one VM run.</summary>
    [Fact]
    public async Task S6_S7_orphan_policy_and_foreign_uid()
    {
        var result = await RunAsync("s6", ["7.2", "7.2"]);
        AssertStepsPassed(result, 0, "s6.luod-start", "s6.preserve");
        AssertStepsPassed(result, 1, "s7.other-uid-lists-nothing", "s7.other-uid-cannot-claim", "s7.other-uid-cannot-list-all",
            "s6.orphan-reported", "s6.policy-keep-left-it-intact");
        Assert.Contains("io.liveupdate.SessionNotFound", result.Report.Steps.Single(s => s.Name == "s7.other-uid-cannot-claim").Detail);
        Assert.Matches("sha256=[0-9a-f]{64} — match", result.Report.Steps.Single(s => s.Name == "s6.policy-keep-left-it-intact").Detail);
    }

    [Fact]
    public async Task S8_luod_killed_custody_lost_is_reported()
    {
        var result = await RunAsync("s8", ["7.2", "7.2"]);
        AssertStepsPassed(result, 0, "s8.preserve-then-sigkill", "s8.restart-detects-loss", "s8.claim-in-same-boot");
        AssertStepsPassed(result, 1, "s8.claim-after-kexec");
        foreach (var step in result.Report.Steps.Where(s => s.Name.StartsWith("s8.claim", StringComparison.Ordinal)))
            Assert.Contains("io.liveupdate.CustodyLost", step.Detail);
    }

    [Fact]
    public async Task S9_luoctl_update_with_two_participants_reports_every_phase()
    {
        var result = await RunAsync("s9", ["7.2", "7.3"]);
        AssertStepsPassed(result, 0, "s9.participants");
        AssertStepsPassed(result, 1, "s9.cache.resume", "s9.vmm.resume", "s9.report", "s9.report.table", "s9.report.svg");
        foreach (var step in result.Report.Steps.Where(s => s.Name.EndsWith(".resume", StringComparison.Ordinal) && s.Name.StartsWith("s9.", StringComparison.Ordinal)))
            Assert.Contains("intact", step.Detail);
        // The report the next kernel's luod produced, kept beside the run's logs.
        string table = result.Report.Steps.Single(s => s.Name == "s9.report.table").Detail;
        string svg = result.Report.Steps.Single(s => s.Name == "s9.report.svg").Detail;
        System.Xml.Linq.XDocument.Parse(svg);
        await File.WriteAllTextAsync(Path.Combine(result.RunDirectory, "update-report.txt"), table);
        await File.WriteAllTextAsync(Path.Combine(result.RunDirectory, "update-report.svg"), svg);
        output.WriteLine(table);
        output.WriteLine($"SVG: {Path.Combine(result.RunDirectory, "update-report.svg")}");
    }

    [Fact]
    public async Task S10_S11_a_stuck_participant_cancels_and_a_no_go_kernel_pauses_nobody()
    {
        var result = await RunAsync("s10", ["7.2"]);
        AssertStepsPassed(result, 0, "s10.setup", "s11.check-no-go", "s11.update-refused", "s10.update-cancelled", "s10.everyone-resumed");
        Assert.Contains("PreflightFailed", result.Report.Steps.Single(s => s.Name == "s11.update-refused").Detail);
        Assert.Contains("data intact", result.Report.Steps.Single(s => s.Name == "s10.everyone-resumed").Detail);
    }

    [Fact]
    public async Task S12_luod_restart_keeps_sessions_through_systemds_fd_store()
    {
        var result = await RunAsync("s12", ["7.2", "7.2"]);
        AssertStepsPassed(result, 0, "s12.luod-start-with-fd-store", "s12.client-a.preserve", "s12.client-b.delegated-preserve",
            "s12.fd-store-holds-sessions", "s12.sigkill-luod", "s12.restart-from-fd-store", "s12.sessions-kept", "s12.client-a.preserve-after-restart");
        AssertStepsPassed(result, 1, "s12.luod-start", "s12.client-a.retrieve", "s12.client-b.claim", "s12.nothing-lost");
        Assert.Contains("luo-out.luod.u0.a", result.Report.Steps.Single(s => s.Name == "s12.fd-store-holds-sessions").Detail);
        Assert.Contains("custodyLost=false", result.Report.Steps.Single(s => s.Name == "s12.sessions-kept").Detail);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(
            result.Report.Steps.Single(s => s.Name == "s12.client-a.retrieve").Detail, "sha256=[0-9a-f]{64} — match").Count);
        Assert.Matches("sha256=[0-9a-f]{64} — match", result.Report.Steps.Single(s => s.Name == "s12.client-b.claim").Detail);
    }

    [Fact]
    public async Task Demo_cache_keeps_every_item_through_luoctl_update_while_a_host_client_reads()
    {
        using var limit = new CancellationTokenSource(OverallLimit);
        var demo = await CacheDemo.RunAsync(fixture.Harness, new CacheDemoOptions(16, ["7.2", "7.3"]) { Timeout = RunTimeout }, fixture.Progress, limit.Token);
        output.WriteLine(CacheDemoReport.Text(demo));
        Assert.True(demo.Run.Passed, demo.Run.FailureSummary);
        AssertStepsPassed(demo.Run, 0, "demo.luod-start", "demo.cache-start", "demo.load", "demo.client-watching");
        AssertStepsPassed(demo.Run, 1, "demo.luod-start", "demo.cache-start", "demo.verify", "demo.report", "demo.report.table", "demo.report.svg");
        // lucache in the new kernel attached the restored arena (not a fresh one) and every item came back byte for byte.
        Assert.Contains("attached restored arena", demo.Run.Report.Steps.Single(s => s.Hop == 1 && s.Name == "demo.cache-start").Detail);
        var verify = System.Text.RegularExpressions.Regex.Match(demo.VerifySummary ?? "", @"verify: (\d+) items: (\d+) verified, 0 missing, 0 wrong");
        Assert.True(verify.Success, $"verify summary: {demo.VerifySummary}");
        Assert.Equal(verify.Groups[1].Value, verify.Groups[2].Value);
        Assert.True(int.Parse(verify.Groups[2].Value) > 0);
        // The host's client saw the outage and then its key again.
        var probe = demo.Probe!;
        Assert.True(demo.ClientSawItBack, probe.Describe());
        Assert.True(probe.LongestGap > TimeSpan.FromSeconds(1), probe.Describe());
        Assert.True(demo.LuodCacheBlackoutNs > 0);
        Assert.True(File.Exists(demo.SvgPath), "the demo wrote no SVG");
    }

    private async Task<VmRunResult> RunAsync(string scenario, string[] chain)
    {
        using var limit = new CancellationTokenSource(OverallLimit);
        var result = await fixture.Harness.RunScenarioAsync(new VmRunRequest(scenario, chain) { Timeout = RunTimeout }, limit.Token);
        output.WriteLine(RunReport.Summary(result));
        Assert.True(result.Passed, result.FailureSummary);
        Assert.Equal(chain.Length, result.Report.Boots.Count);
        return result;
    }

    /// <summary>The run passing is not enough: each later hop must have checked every memfd's SHA-256 and found it equal.</summary>
    private static void AssertMemfdsVerifiedOnEveryLaterHop(VmRunResult result, int hops)
    {
        for (int hop = 1; hop < hops; hop++)
        {
            AssertStepsPassed(result, hop, "s1.verify.1", "s1.verify.2", "s1.verify.3", "s1.finish.lu-s1-alpha", "s1.finish.lu-s1-beta");
            foreach (var step in result.Report.Steps.Where(s => s.Hop == hop && s.Name.StartsWith("s1.verify.", StringComparison.Ordinal)))
            {
                Assert.Matches("sha256=[0-9a-f]{64}", step.Detail);
                Assert.Contains("match", step.Detail);
            }
        }
    }

    private static void AssertStepsPassed(VmRunResult result, int hop, params string[] names)
    {
        foreach (string name in names)
        {
            var step = result.Report.Steps.SingleOrDefault(s => s.Hop == hop && s.Name == name);
            Assert.True(step is not null, $"hop {hop} has no step '{name}'");
            Assert.True(step.Ok, $"hop {hop} step '{name}' failed: {step.Detail}");
        }
    }
}
