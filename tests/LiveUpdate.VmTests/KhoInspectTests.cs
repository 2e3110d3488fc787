// KhoInspectTests: `luoctl kho --json` against the real kernels across a kexec through luod
// (scenario kho-inspect, 7.2 → 7.3 → 7.3): the guest asserts each hop's state itself; here the
// cross-boot facts only the host sees are checked — the previous release each kernel reads from
// KHO is exactly the release the hop before booted, the kexec count is 1 then 2, and the memfds'
// SHA-256 matched after each claim.
using System.Text.RegularExpressions;
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness.Runs;
using Xunit.Abstractions;
using Steps = LiveUpdate.GuestContract.StepNames.KhoInspect;

namespace LiveUpdate.VmTests;

[Collection(VmFixture.CollectionName)]
[Trait("Category", "Vm")]
public sealed partial class KhoInspectTests : IDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan OverallLimit = TimeSpan.FromMinutes(45);

    private readonly VmFixture fixture;
    private readonly ITestOutputHelper output;
    private readonly IDisposable attachment;

    public KhoInspectTests(VmFixture fixture, ITestOutputHelper output)
    {
        this.fixture = fixture;
        this.output = output;
        attachment = fixture.AttachOutput(output);
    }

    public void Dispose() => attachment.Dispose();

    [Fact]
    public async Task Kho_state_before_and_after_kexecs_from_7_2_to_7_3_to_7_3()
    {
        var result = await PassingRun.RunAsync(fixture, output, ScenarioNames.KhoInspect, ["7.2", "7.3", "7.3"], RunTimeout, OverallLimit);
        PassingRun.AssertStepsPassed(result, 0, Steps.LuodStart, Steps.Preserve, Steps.Inspect, Steps.Table, Steps.Capture);
        PassingRun.AssertStepsPassed(result, 1, Steps.LuodStart, Steps.Inspect, Steps.Table, Steps.Capture, Steps.Claim, Steps.Preserve);
        PassingRun.AssertStepsPassed(result, 2, Steps.LuodStart, Steps.Inspect, Steps.Table, Steps.Capture, Steps.Claim);
        for (int hop = 1; hop <= 2; hop++)
        {
            AssertPreviousReleaseIsHop(result, hop);
            Assert.Contains($"kexecCount={hop}", Detail(result, hop, Steps.Inspect));
            Assert.Equal(2, ShaMatch().Matches(Detail(result, hop, Steps.Claim)).Count);
        }
        Assert.Contains("out/sub_fdts/LUO=", Detail(result, 0, Steps.Capture));
        Assert.Contains("in/sub_fdts/kexec-metadata=", Detail(result, 1, Steps.Capture));
    }

    private static void AssertPreviousReleaseIsHop(VmRunResult result, int hop)
    {
        string previous = result.Report.Boots.Single(b => b.Hop == hop - 1).Release!;
        Assert.Contains($"previousRelease={previous} ", Detail(result, hop, Steps.Inspect));
    }

    private static string Detail(VmRunResult result, int hop, string step) =>
        result.Report.Steps.Single(s => s.Hop == hop && s.Name == step).Detail ?? "";

    [GeneratedRegex("sha256=[0-9a-f]{64} — match")]
    private static partial Regex ShaMatch();
}
