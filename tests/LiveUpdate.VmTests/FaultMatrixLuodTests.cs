// FaultMatrixLuodTests: the fault matrix's "luod killed (SIGKILL)" cells (issue 14) as one VM
// chain, scenario fault-luod-killed (7.2 → 7.3): kills during prepare and during freeze with
// the fd store, a real kexec of the survivors, a kill between claim and finish in 7.3, and a
// kill during prepare without the fd store. Every surviving byte is checked by SHA-256 in the
// guest; the lost session must answer io.liveupdate.CustodyLost.
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness.Runs;
using Xunit.Abstractions;

namespace LiveUpdate.VmTests;

[Collection(VmFixture.CollectionName)]
[Trait("Category", "Vm")]
public sealed class FaultMatrixLuodTests : IDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan OverallLimit = TimeSpan.FromMinutes(45);

    private readonly VmFixture fixture;
    private readonly ITestOutputHelper output;
    private readonly IDisposable attachment;

    public FaultMatrixLuodTests(VmFixture fixture, ITestOutputHelper output)
    {
        this.fixture = fixture;
        this.output = output;
        attachment = fixture.AttachOutput(output);
    }

    public void Dispose() => attachment.Dispose();

    [Fact]
    public async Task Fault_luod_killed_loses_nothing_with_the_fd_store_and_says_custody_lost_without()
    {
        using var limit = new CancellationTokenSource(OverallLimit);
        var result = await fixture.Harness.RunScenarioAsync(new VmRunRequest(ScenarioNames.FaultLuodKilled, ["7.2", "7.3"]) { Timeout = RunTimeout }, limit.Token);
        output.WriteLine(RunReport.Summary(result));
        Assert.True(result.Passed, result.FailureSummary);
        Assert.Equal(2, result.Report.Boots.Count);
        AssertStepsPassed(result, 0, StepNames.FaultLuodKilled.Setup, StepNames.FaultLuodKilled.KillDuringPrepare,
            StepNames.FaultLuodKilled.RestartAfterPrepareKill, StepNames.FaultLuodKilled.KillDuringFreeze, StepNames.FaultLuodKilled.RestartAfterFreezeKill);
        AssertStepsPassed(result, 1, StepNames.FaultLuodKilled.RestoreWithFdStore, StepNames.FaultLuodKilled.KillBetweenClaimAndFinish,
            StepNames.FaultLuodKilled.RestartAfterClaimKill, StepNames.FaultLuodKilled.EverySessionIntact,
            StepNames.FaultLuodKilled.NoFdStoreKillDuringPrepare, StepNames.FaultLuodKilled.NoFdStoreCustodyLost);
        // Every carried session's bytes came back equal, after the kexec and after a kill between claim and finish.
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Matches(Detail(result, 1, StepNames.FaultLuodKilled.EverySessionIntact), "sha256=[0-9a-f]{64} — match").Count);
        Assert.Contains("custodyLost=false", Detail(result, 0, StepNames.FaultLuodKilled.RestartAfterFreezeKill));
        Assert.Contains("custodyLost=false", Detail(result, 1, StepNames.FaultLuodKilled.RestartAfterClaimKill));
        Assert.Contains("io.liveupdate.CustodyLost", Detail(result, 1, StepNames.FaultLuodKilled.NoFdStoreCustodyLost));
        // A participant that had paused is resumed by the SDK when luod dies during prepare.
        Assert.Contains("luod's connection closed during prepare", Detail(result, 0, StepNames.FaultLuodKilled.KillDuringPrepare));
        // The claims were written before the kill: the restarted luod lists them as claimed.
        Assert.Contains("keeper=claimed", Detail(result, 1, StepNames.FaultLuodKilled.RestartAfterClaimKill));
        Assert.Contains("ice=claimed", Detail(result, 1, StepNames.FaultLuodKilled.RestartAfterClaimKill));
    }

    private static string Detail(VmRunResult result, int hop, string name) => result.Report.Steps.Single(s => s.Hop == hop && s.Name == name).Detail;

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
