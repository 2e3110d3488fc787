// ScenarioTests: the VM tests. Each boots real kernels under QEMU with the LiveUpdate guest and
// asserts the run passed (FailureSummary explains a failure on its own). Trait Category=Vm, so
// `dotnet test --filter Category!=Vm` runs only the fast host tests.
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness;
using LiveUpdate.VmHarness.Demo;
using LiveUpdate.VmHarness.Runs;
using Xunit.Abstractions;
using static LiveUpdate.VmTests.PassingRun;

namespace LiveUpdate.VmTests;

[Collection(VmFixture.CollectionName)]
[Trait("Category", "Vm")]
public sealed partial class ScenarioTests : IDisposable
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
    public async Task Memfd_roundtrip(string series)
    {
        var result = await RunAsync(ScenarioNames.MemfdRoundTrip, [series, series]);
        AssertMemfdsVerifiedOnEveryLaterHop(result, hops: 2);
    }

    [Theory]
    [InlineData("7.2")]
    [InlineData("7.3")]
    public async Task Luo_refusals(string series)
    {
        var result = await RunAsync(ScenarioNames.LuoRefusals, [series, series]);
        AssertStepsPassed(result, 0, StepNames.LuoRefusals.Pipe, StepNames.LuoRefusals.Socket, StepNames.LuoRefusals.RegularFile,
            StepNames.LuoRefusals.DuplicateSession, StepNames.LuoRefusals.DuplicateToken, StepNames.LuoRefusals.SameFileTwice,
            StepNames.LuoRefusals.SecondOpen, StepNames.LuoRefusals.Name64Bytes, StepNames.LuoRefusals.Name63Bytes);
        AssertStepsPassed(result, 1, StepNames.LuoRefusals.UnknownSession, StepNames.LuoRefusals.RetrieveTwice, StepNames.LuoRefusals.UnknownToken,
            StepNames.LuoRefusals.PreserveIntoIncoming, StepNames.LuoRefusals.RetrieveAndFinish);
    }

    [Fact]
    public async Task Cross_version_chain()
    {
        var result = await RunAsync(ScenarioNames.CrossVersionChain, ["7.2", "7.3", "7.2"]);
        AssertMemfdsVerifiedOnEveryLaterHop(result, hops: 3);
        AssertStepsPassed(result, 1, StepNames.MemfdRoundTrip.Preserve);
        Assert.StartsWith("7.3.", result.Report.Boots.Single(b => b.Hop == 1).Release);
        Assert.StartsWith("7.2.", result.Report.Boots.Single(b => b.Hop == 2).Release);
    }

    [Theory]
    [InlineData("7.2")]
    [InlineData("7.3")]
    public async Task Kernel_selftests(string series)
    {
        var result = await RunAsync(ScenarioNames.KernelSelftests, [series, series]);
        AssertStepsPassed(result, 0, StepNames.KernelSelftests.LiveUpdate,
            StepNames.KernelSelftests.Test("luo_kexec_simple", "1"), StepNames.KernelSelftests.Test("luo_multi_session", "1"));
        AssertStepsPassed(result, 1, StepNames.KernelSelftests.Test("luo_kexec_simple", "2"), StepNames.KernelSelftests.Test("luo_multi_session", "2"));
    }

    [Fact]
    public async Task Luod_custody_two_clients_across_kexec()
    {
        var result = await RunAsync(ScenarioNames.LuodCustody, ["7.2", "7.3"]);
        AssertStepsPassed(result, 0, StepNames.LuodCustody.LuodStart, StepNames.LuodCustody.ClientAPreserve, StepNames.LuodCustody.ClientBDelegatedPreserve);
        AssertStepsPassed(result, 1, StepNames.LuodCustody.LuodStart, StepNames.LuodCustody.ClientARetrieve, StepNames.LuodCustody.ClientBClaim, StepNames.LuodCustody.NoOrphans);
        foreach (var step in result.Report.Steps.Where(s => s.Name is StepNames.LuodCustody.ClientARetrieve or StepNames.LuodCustody.ClientBClaim))
            Assert.Matches("sha256=[0-9a-f]{64} — match", step.Detail);
        Assert.Contains("\"bootedByHandover\":true", result.Report.Steps.Single(s => s.Hop == 1 && s.Name == StepNames.LuodCustody.LuodStart).Detail);
    }

    /// <summary>The orphan reported and the keep policy applied (once S6), and another uid that can neither list nor claim (once S7), in one VM run.</summary>
    [Fact]
    public async Task Orphans_and_owners_orphan_policy_and_foreign_uid()
    {
        var result = await RunAsync(ScenarioNames.OrphansAndOwners, ["7.2", "7.2"]);
        AssertStepsPassed(result, 0, StepNames.OrphansAndOwners.LuodStart, StepNames.OrphansAndOwners.Preserve);
        AssertStepsPassed(result, 1, StepNames.OrphansAndOwners.OtherUidListsNothing, StepNames.OrphansAndOwners.OtherUidCannotClaim,
            StepNames.OrphansAndOwners.OtherUidCannotListAll, StepNames.OrphansAndOwners.OrphanReported, StepNames.OrphansAndOwners.PolicyKeepLeftItIntact);
        Assert.Contains("io.liveupdate.SessionNotFound", result.Report.Steps.Single(s => s.Name == StepNames.OrphansAndOwners.OtherUidCannotClaim).Detail);
        Assert.Matches("sha256=[0-9a-f]{64} — match", result.Report.Steps.Single(s => s.Name == StepNames.OrphansAndOwners.PolicyKeepLeftItIntact).Detail);
    }

    [Fact]
    public async Task Custody_lost_when_luod_is_killed_is_reported()
    {
        var result = await RunAsync(ScenarioNames.CustodyLost, ["7.2", "7.2"]);
        AssertStepsPassed(result, 0, StepNames.CustodyLost.PreserveThenSigkill, StepNames.CustodyLost.RestartDetectsLoss, StepNames.CustodyLost.ClaimInSameBoot);
        AssertStepsPassed(result, 1, StepNames.CustodyLost.ClaimAfterKexec);
        foreach (var step in result.Report.Steps.Where(s => s.Name.StartsWith(StepNames.CustodyLost.ClaimPrefix, StringComparison.Ordinal)))
            Assert.Contains("io.liveupdate.CustodyLost", step.Detail);
    }

    [Fact]
    public async Task Orchestrated_update_with_two_participants_reports_every_phase()
    {
        var result = await RunAsync(ScenarioNames.OrchestratedUpdate, ["7.2", "7.3"]);
        AssertStepsPassed(result, 0, StepNames.OrchestratedUpdate.Participants);
        AssertStepsPassed(result, 1, StepNames.OrchestratedUpdate.Resume(StepNames.OrchestratedUpdate.CacheParticipant),
            StepNames.OrchestratedUpdate.Resume(StepNames.OrchestratedUpdate.VmmParticipant), StepNames.OrchestratedUpdate.Report,
            StepNames.OrchestratedUpdate.ReportTable, StepNames.OrchestratedUpdate.ReportSvg);
        foreach (var step in result.Report.Steps.Where(s => s.Name.EndsWith(".resume", StringComparison.Ordinal) && s.Name.StartsWith(StepNames.OrchestratedUpdate.Prefix, StringComparison.Ordinal)))
            Assert.Contains("intact", step.Detail);
        // The report the next kernel's luod produced, kept beside the run's logs.
        string table = result.Report.Steps.Single(s => s.Name == StepNames.OrchestratedUpdate.ReportTable).Detail;
        string svg = result.Report.Steps.Single(s => s.Name == StepNames.OrchestratedUpdate.ReportSvg).Detail;
        System.Xml.Linq.XDocument.Parse(svg);
        await File.WriteAllTextAsync(Path.Combine(result.RunDirectory, "update-report.txt"), table);
        await File.WriteAllTextAsync(Path.Combine(result.RunDirectory, "update-report.svg"), svg);
        output.WriteLine(table);
        output.WriteLine($"SVG: {Path.Combine(result.RunDirectory, "update-report.svg")}");
    }

    [Fact]
    public async Task Cancel_and_no_go_a_stuck_participant_cancels_and_a_no_go_kernel_pauses_nobody()
    {
        var result = await RunAsync(ScenarioNames.CancelAndNoGo, ["7.2"]);
        AssertStepsPassed(result, 0, StepNames.CancelAndNoGo.Setup, StepNames.CancelAndNoGo.CheckNoGo, StepNames.CancelAndNoGo.UpdateRefused,
            StepNames.CancelAndNoGo.UpdateCancelled, StepNames.CancelAndNoGo.EveryoneResumed);
        Assert.Contains("PreflightFailed", result.Report.Steps.Single(s => s.Name == StepNames.CancelAndNoGo.UpdateRefused).Detail);
        Assert.Contains("data intact", result.Report.Steps.Single(s => s.Name == StepNames.CancelAndNoGo.EveryoneResumed).Detail);
    }

    [Fact]
    public async Task Kured_exit_codes_never_reboot_on_failure_and_a_real_update_keeps_the_sessions()
    {
        var result = await RunAsync(ScenarioNames.KuredExitCodes, ["7.2", "7.3"]);
        AssertStepsPassed(result, 0, StepNames.KuredExitCodes.Setup, StepNames.KuredExitCodes.NoGoCommandLine, StepNames.KuredExitCodes.NoGoUnreadableImage,
            StepNames.KuredExitCodes.CancelledByParticipant, StepNames.KuredExitCodes.LuodUnreachable, StepNames.KuredExitCodes.BadUsage,
            StepNames.KuredExitCodes.SentinelWrittenAndCleared);
        AssertStepsPassed(result, 1, StepNames.KuredExitCodes.Setup, StepNames.KuredExitCodes.Resume + ".cache", StepNames.KuredExitCodes.Resume + ".stuck",
            StepNames.KuredExitCodes.SentinelAfterUpdate);
        string Detail(int hop, string step) => result.Report.Steps.Single(s => s.Hop == hop && s.Name == step).Detail;
        foreach (string step in new[] { StepNames.KuredExitCodes.NoGoCommandLine, StepNames.KuredExitCodes.NoGoUnreadableImage })
            Assert.StartsWith("exit 11;", Detail(0, step));
        Assert.StartsWith("exit 13;", Detail(0, StepNames.KuredExitCodes.CancelledByParticipant));
        Assert.StartsWith("exit 4;", Detail(0, StepNames.KuredExitCodes.LuodUnreachable));
        Assert.StartsWith("exit 2 and 2;", Detail(0, StepNames.KuredExitCodes.BadUsage));
        foreach (string participant in new[] { "cache", "stuck" })
            Assert.Matches("intact sha256=[0-9a-f]{64}", Detail(1, StepNames.KuredExitCodes.Resume + "." + participant));
    }

    [Fact]
    public async Task Fd_store_restart_keeps_luods_sessions_through_systemds_fd_store()
    {
        var result = await RunAsync(ScenarioNames.FdStoreRestart, ["7.2", "7.2"]);
        AssertStepsPassed(result, 0, StepNames.FdStoreRestart.LuodStartWithFdStore, StepNames.FdStoreRestart.ClientAPreserve,
            StepNames.FdStoreRestart.ClientBDelegatedPreserve, StepNames.FdStoreRestart.FdStoreHoldsSessions, StepNames.FdStoreRestart.SigkillLuod,
            StepNames.FdStoreRestart.RestartFromFdStore, StepNames.FdStoreRestart.SessionsKept, StepNames.FdStoreRestart.ClientAPreserveAfterRestart);
        AssertStepsPassed(result, 1, StepNames.FdStoreRestart.LuodStart, StepNames.FdStoreRestart.ClientARetrieve, StepNames.FdStoreRestart.ClientBClaim,
            StepNames.FdStoreRestart.NothingLost);
        Assert.Contains("luo-out.luod.u0.a", result.Report.Steps.Single(s => s.Name == StepNames.FdStoreRestart.FdStoreHoldsSessions).Detail);
        Assert.Contains("custodyLost=false", result.Report.Steps.Single(s => s.Name == StepNames.FdStoreRestart.SessionsKept).Detail);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(
            result.Report.Steps.Single(s => s.Name == StepNames.FdStoreRestart.ClientARetrieve).Detail, "sha256=[0-9a-f]{64} — match").Count);
        Assert.Matches("sha256=[0-9a-f]{64} — match", result.Report.Steps.Single(s => s.Name == StepNames.FdStoreRestart.ClientBClaim).Detail);
    }

    [Fact]
    public async Task Demo_cache_keeps_every_item_through_luoctl_update_while_a_host_client_reads()
    {
        using var limit = new CancellationTokenSource(OverallLimit);
        var demo = await CacheDemoDriver.RunAsync(fixture.Harness, new CacheDemoOptions(16, ["7.2", "7.3"]) { Timeout = RunTimeout }, fixture.Progress, limit.Token);
        output.WriteLine(CacheDemoReport.Text(demo));
        Assert.True(demo.Run.Passed, demo.Run.FailureSummary);
        AssertStepsPassed(demo.Run, 0, StepNames.CacheDemo.LuodStart, StepNames.CacheDemo.CacheStart, StepNames.CacheDemo.Load, StepNames.CacheDemo.ClientWatching);
        AssertStepsPassed(demo.Run, 1, StepNames.CacheDemo.LuodStart, StepNames.CacheDemo.CacheStart, StepNames.CacheDemo.Verify, StepNames.CacheDemo.Report,
            StepNames.CacheDemo.ReportTable, StepNames.CacheDemo.ReportSvg);
        // lucache in the new kernel attached the restored arena (not a fresh one) and every item came back byte for byte.
        Assert.Contains("attached restored arena", demo.Run.Report.Steps.Single(s => s.Hop == 1 && s.Name == StepNames.CacheDemo.CacheStart).Detail);
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

    private Task<VmRunResult> RunAsync(string scenario, string[] chain) =>
        PassingRun.RunAsync(fixture, output, scenario, chain, RunTimeout, OverallLimit);

    /// <summary>The run passing is not enough: each later hop must have checked every memfd's SHA-256 and found it equal.</summary>
    private static void AssertMemfdsVerifiedOnEveryLaterHop(VmRunResult result, int hops)
    {
        for (int hop = 1; hop < hops; hop++)
        {
            AssertStepsPassed(result, hop, StepNames.MemfdRoundTrip.Verify(1), StepNames.MemfdRoundTrip.Verify(2), StepNames.MemfdRoundTrip.Verify(3),
                StepNames.MemfdRoundTrip.Finish(StepNames.MemfdRoundTrip.AlphaSession), StepNames.MemfdRoundTrip.Finish(StepNames.MemfdRoundTrip.BetaSession));
            foreach (var step in result.Report.Steps.Where(s => s.Hop == hop && s.Name.StartsWith(StepNames.MemfdRoundTrip.VerifyPrefix, StringComparison.Ordinal)))
            {
                Assert.Matches("sha256=[0-9a-f]{64}", step.Detail);
                Assert.Contains("match", step.Detail);
            }
        }
    }
}
