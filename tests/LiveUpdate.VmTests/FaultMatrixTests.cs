// FaultMatrixTests: the fault matrix of issue 14 as VM tests, a real kexec each (Category=Vm).
// fault-participants: participants SIGKILLed in prepare (the update cancels at once, everyone
// resumes intact, nothing staged) and after freeze (their sessions are carried and claimed
// intact in 7.3), and one gone before it claims (OrphanPolicy Finish removes its session).
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness;
using LiveUpdate.VmHarness.Runs;
using Xunit.Abstractions;
using Steps = LiveUpdate.GuestContract.StepNames.FaultParticipants;

namespace LiveUpdate.VmTests;

[Collection(VmFixture.CollectionName)]
[Trait("Category", "Vm")]
public sealed class FaultMatrixTests : IDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan OverallLimit = TimeSpan.FromMinutes(45);

    private readonly VmFixture fixture;
    private readonly ITestOutputHelper output;
    private readonly IDisposable attachment;

    public FaultMatrixTests(VmFixture fixture, ITestOutputHelper output)
    {
        this.fixture = fixture;
        this.output = output;
        attachment = fixture.AttachOutput(output);
    }

    public void Dispose() => attachment.Dispose();

    [Fact]
    public async Task Fault_participants_killed_in_prepare_cancels_killed_after_freeze_is_carried_gone_before_claim_is_finished_by_policy()
    {
        string[] chain = ["7.2", "7.3"];
        using var limit = new CancellationTokenSource(OverallLimit);
        var result = await fixture.Harness.RunScenarioAsync(new VmRunRequest(ScenarioNames.FaultParticipants, chain) { Timeout = RunTimeout }, limit.Token);
        output.WriteLine(RunReport.Summary(result));
        Assert.True(result.Passed, result.FailureSummary);
        Assert.Equal(chain.Length, result.Report.Boots.Count);
        AssertStepsPassed(result, 0, Steps.LuodStart, Steps.Setup, Steps.KilledInPrepareCancels, Steps.EveryoneResumed, Steps.SecondParticipants, Steps.KilledAfterFreeze);
        AssertStepsPassed(result, 1, Steps.LuodStart, Steps.Resume("steady"), Steps.Resume("killed-after-freeze"), Steps.KilledInPrepareKept, Steps.GoneFinishedByPolicy);
        Assert.Contains("UpdateCancelled", Detail(result, 0, Steps.KilledInPrepareCancels));
        Assert.Contains("data intact", Detail(result, 0, Steps.EveryoneResumed));
        Assert.Contains("intact", Detail(result, 1, Steps.Resume("killed-after-freeze")));
        Assert.Contains("match", Detail(result, 1, Steps.KilledInPrepareKept));
        Assert.Contains("SessionNotFound", Detail(result, 1, Steps.GoneFinishedByPolicy));
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
