// PassingRun: what the scenario tests share — run a VM scenario on a chain of kernels and insist
// it passed with one boot per kernel (a real kexec between each), and check that named steps of a
// hop ran and passed. ScenarioTests and FaultMatrixTests each had their own copy.
using LiveUpdate.VmHarness;
using LiveUpdate.VmHarness.Runs;
using Xunit.Abstractions;

namespace LiveUpdate.VmTests;

internal static class PassingRun
{
    /// <summary>Runs <paramref name="scenario"/> on <paramref name="chain"/>; it must pass and boot once per kernel.</summary>
    public static async Task<VmRunResult> RunAsync(VmFixture fixture, ITestOutputHelper output, string scenario, string[] chain,
        TimeSpan runTimeout, TimeSpan overallLimit, bool quietConsole = false)
    {
        using var limit = new CancellationTokenSource(overallLimit);
        var result = await fixture.Harness.RunScenarioAsync(new VmRunRequest(scenario, chain) { Timeout = runTimeout, QuietConsole = quietConsole }, limit.Token);
        output.WriteLine(RunReport.Summary(result));
        Assert.True(result.Passed, result.FailureSummary);
        Assert.Equal(chain.Length, result.Report.Boots.Count);
        return result;
    }

    /// <summary>Every step of <paramref name="names"/> ran in <paramref name="hop"/> and passed.</summary>
    public static void AssertStepsPassed(VmRunResult result, int hop, params string[] names)
    {
        foreach (string name in names)
        {
            var step = result.Report.Steps.SingleOrDefault(s => s.Hop == hop && s.Name == name);
            Assert.True(step is not null, $"hop {hop} has no step '{name}'");
            Assert.True(step.Ok, $"hop {hop} step '{name}' failed: {step.Detail}");
        }
    }
}
