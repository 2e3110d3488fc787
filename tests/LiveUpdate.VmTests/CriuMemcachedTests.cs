// CriuMemcachedTests (criu-memcached, issue 16): an unmodified program across a real kernel update.
// Debian sid's memcached holds 16 MiB of seeded items the host loaded through QEMU's port forward;
// `luoctl update` 7.2 → 7.3 freezes lucriu's participant, which checkpoints memcached with Debian
// sid's criu into tmpfs and copies the images into memfds luod preserves; after the kexec lucriu
// claims them, copies them back and criu restores memcached. The host then reads every item back
// and compares every byte and flag with the seeded generator; its probe saw the cache go dark and
// come back with its data; luod's report has memcached's blackout.
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness.Benchmarks;
using Xunit.Abstractions;
using Steps = LiveUpdate.GuestContract.StepNames.CriuMemcached;

namespace LiveUpdate.VmTests;

[Collection(VmFixture.CollectionName)]
[Trait("Category", "Vm")]
public sealed class CriuMemcachedTests : IDisposable
{
    private readonly VmFixture fixture;
    private readonly ITestOutputHelper output;
    private readonly IDisposable attachment;

    public CriuMemcachedTests(VmFixture fixture, ITestOutputHelper output)
    {
        this.fixture = fixture;
        this.output = output;
        attachment = fixture.AttachOutput(output);
    }

    public void Dispose() => attachment.Dispose();

    [Fact]
    public async Task Memcached_keeps_every_item_through_criu_images_in_preserved_memory()
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(25));
        var result = await CriuMemcachedDriver.RunAsync(fixture.Harness, new CriuMemcachedOptions(CriuWays.Memory, 16, CriuMemcachedOptions.DefaultChain), fixture.Progress, limit.Token);
        output.WriteLine(result.Describe());
        Assert.True(result.Run.Passed, result.Run.FailureSummary + " " + result.HostFailure);
        Assert.True(result.Passed, result.Describe());

        // Two kernels, crossed by a kexec (not a cold boot): both boots in one QEMU run.
        Assert.Equal(2, result.Run.Report.Boots.Select(b => b.Release).Distinct().Count());

        // Every item the host loaded came back, byte for byte.
        var verify = Assert.IsType<LuCache.SeededVerifyResult>(result.Verify);
        Assert.True(verify.Count > 7000, $"16 MiB of 256..4096-byte values is > 7000 items, got {verify.Count}");
        Assert.Equal(verify.Count, verify.Verified);
        Assert.Equal(0, result.Load!.Failures);

        // The same memcached process came back (criu restores its pid), run by Debian's criu 4.x.
        var started = result.Run.Report.Steps.Single(s => s is { Hop: 0, Name: Steps.CacheStart });
        var restored = result.Run.Report.Steps.Single(s => s is { Hop: 1, Name: Steps.Restore });
        string pid = System.Text.RegularExpressions.Regex.Match(started.Detail, @"memcached pid (\d+)").Groups[1].Value;
        Assert.Contains($"memcached pid {pid}", restored.Detail);
        Assert.Matches(@"Version: 4\.", result.Run.Report.Steps.First(s => s.Name == Steps.Root).Detail);

        // The steps of the CRIU path, as lucriu timed them, and the blackout three ways.
        foreach (var step in CriuBenchmark.MemorySteps)
            Assert.True(result.StepMs.ContainsKey(step), $"lucriu's output has no '{step}' time: {restored.Detail}");
        Assert.True(result.BlackoutMs > 0, "no paused → serving marks");
        Assert.True(result.LuodBlackoutMs > 0, "luod's report has no blackout for memcached");
        var probe = Assert.IsType<LuCache.ProbeResult>(result.Probe);
        Assert.True(probe.Hits > 0 && probe.LongestGap > TimeSpan.Zero, probe.Describe());
        Assert.True(probe.LastReplyAt > probe.LongestGapStartedAt + probe.LongestGap - TimeSpan.FromMilliseconds(1), $"the client saw no reply after its gap: {probe.Describe()}");
    }
}
