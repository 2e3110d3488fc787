// LuodUpgradeTests: the luod-upgrade VM scenario — a version-1 luod's handover (the pinned
// golden catalog and the sessions it names, left by lu-guest on hop 0) read by this build's
// luod after a real kexec, every file's SHA-256, the metadata, the lost session and the
// update ledger checked on hop 1.
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness;
using LiveUpdate.VmHarness.Runs;
using Xunit.Abstractions;

namespace LiveUpdate.VmTests;

[Collection(VmFixture.CollectionName)]
[Trait("Category", "Vm")]
public sealed class LuodUpgradeTests : IDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan OverallLimit = TimeSpan.FromMinutes(45);

    private readonly VmFixture fixture;
    private readonly ITestOutputHelper output;
    private readonly IDisposable attachment;

    public LuodUpgradeTests(VmFixture fixture, ITestOutputHelper output)
    {
        this.fixture = fixture;
        this.output = output;
        attachment = fixture.AttachOutput(output);
    }

    public void Dispose() => attachment.Dispose();

    [Theory]
    [InlineData("7.2", "7.3")]
    [InlineData("7.3", "7.3")]
    public async Task Luod_upgrade_reads_a_version_1_handover_from_the_golden_catalog(string from, string to)
    {
        using var limit = new CancellationTokenSource(OverallLimit);
        string[] chain = [from, to];
        var result = await fixture.Harness.RunScenarioAsync(new VmRunRequest(ScenarioNames.LuodUpgrade, chain) { Timeout = RunTimeout }, limit.Token);
        output.WriteLine(RunReport.Summary(result));
        Assert.True(result.Passed, result.FailureSummary);
        Assert.Equal(chain.Length, result.Report.Boots.Count);
        AssertStepPassed(result, 0, StepNames.LuodUpgrade.V1Handover);
        foreach (string name in new[] { StepNames.LuodUpgrade.LuodStart, StepNames.LuodUpgrade.SessionsListed, StepNames.LuodUpgrade.ClaimManaged,
                     StepNames.LuodUpgrade.ClaimDelegated, StepNames.LuodUpgrade.UpdateLedger, StepNames.LuodUpgrade.NothingLeft })
            AssertStepPassed(result, 1, name);
        var managed = result.Report.Steps.Single(s => s.Hop == 1 && s.Name == StepNames.LuodUpgrade.ClaimManaged).Detail;
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(managed, "sha256=[0-9a-f]{64} — match").Count);
        Assert.Contains("metadata 'schema=3;owner=golden'", managed);
        Assert.Matches("sha256=[0-9a-f]{64} — match", result.Report.Steps.Single(s => s.Hop == 1 && s.Name == StepNames.LuodUpgrade.ClaimDelegated).Detail);
    }

    private static void AssertStepPassed(VmRunResult result, int hop, string name)
    {
        var step = result.Report.Steps.SingleOrDefault(s => s.Hop == hop && s.Name == name);
        Assert.True(step is not null, $"hop {hop} has no step '{name}'");
        Assert.True(step.Ok, $"hop {hop} step '{name}' failed: {step.Detail}");
    }
}
