// SoakTests: the short soak in CI: 4 boots (7.2, 7.3, 7.2, 7.3) through luod with sessions created,
// grown, finished and orphaned from a seed, every surviving byte checked by SHA-256 in the guest,
// and luod's fds and RSS judged across hops (SoakBenchmark.Judge). The 50-hop one is `luvm soak`.
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness.Benchmarks;
using LiveUpdate.VmHarness.Runs;
using Xunit.Abstractions;

namespace LiveUpdate.VmTests;

[Collection(VmFixture.CollectionName)]
[Trait("Category", "Vm")]
public sealed class SoakTests : IDisposable
{
    private readonly VmFixture fixture;
    private readonly IDisposable attachment;

    public SoakTests(VmFixture fixture, ITestOutputHelper output)
    {
        this.fixture = fixture;
        attachment = fixture.AttachOutput(output);
    }

    public void Dispose() => attachment.Dispose();

    [Fact]
    public async Task Short_soak_keeps_every_byte_and_luod_does_not_grow()
    {
        var options = new SoakOptions(Hops: 4, Seed: SoakOptions.DefaultSeed);
        var result = await SoakBenchmark.RunAsync(fixture.Harness, options, fixture.Progress, CancellationToken.None);
        Assert.True(result.Run.Passed, result.Run.FailureSummary);
        Assert.Equal(options.Hops, result.Hops.Count);
        Assert.Empty(result.Violations);
        Assert.Equal(["7.2.", "7.3.", "7.2.", "7.3."], result.Hops.Select(h => h.Release[..4]));
        // The seed makes every kind of event happen on this short chain, and bytes are checked after every kexec.
        Assert.True(result.Hops.Sum(h => h.Orphaned) > 0 && result.Hops.Sum(h => h.Grown) > 0 && result.Hops.Sum(h => h.Finished) > 0 && result.Hops.Sum(h => h.Carried) > 0,
            SoakBenchmark.Markdown(result));
        Assert.All(result.Hops.Where(h => h.Hop > 0), h => Assert.True(h.BytesChecked > 0 || h.Orphaned > 0, $"hop {h.Hop} checked nothing"));
        foreach (var hop in Enumerable.Range(1, options.Hops - 1))
            Assert.Contains(result.Run.Report.Steps, s => s.Hop == hop && s.Name == StepNames.Soak.Verify && s.Ok && s.Detail.Contains("sha256 match"));
    }
}
