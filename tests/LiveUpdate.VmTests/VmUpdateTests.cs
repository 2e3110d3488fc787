// VmUpdateTests: the VMM workload across a real kexec (vm-update): luqemu runs Debian's QEMU inside
// the test guest with a 64 MiB VM whose RAM is a memfd luod preserves; `luoctl update` 7.2 → 7.3
// pauses the vCPUs at freeze, and the next kernel's luqemu resumes the same VM. Asserted: the same
// boot of the VM goes on (boot id, ticks, uptime, seeded region), the RAM's SHA-256 after the stop
// equals the one after the claim, and the vCPU pause → resume blackout is present and positive in
// luod's report and on the host's clock.
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness.Demo;
using Xunit.Abstractions;

namespace LiveUpdate.VmTests;

[Collection(VmFixture.CollectionName)]
[Trait("Category", "Vm")]
public sealed class VmUpdateTests : IDisposable
{
    private readonly VmFixture fixture;
    private readonly ITestOutputHelper output;
    private readonly IDisposable attachment;

    public VmUpdateTests(VmFixture fixture, ITestOutputHelper output)
    {
        this.fixture = fixture;
        this.output = output;
        attachment = fixture.AttachOutput(output);
    }

    public void Dispose() => attachment.Dispose();

    [Fact]
    public async Task A_QEMU_VM_keeps_its_RAM_boot_and_uptime_through_luoctl_update()
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(45));
        var demo = await VmDemoDriver.RunAsync(fixture.Harness, new VmDemoOptions(64, ["7.2", "7.3"]) { VerifyRam = true, Timeout = TimeSpan.FromMinutes(20) },
            fixture.Progress, limit.Token);
        output.WriteLine(VmDemoReport.Text(demo));
        Assert.True(demo.Run.Passed, demo.Run.FailureSummary);
        Assert.Null(demo.ContinuityProblem);
        var start = demo.Run.Report.Steps.Single(s => s.Hop == 1 && s.Name == StepNames.VmUpdate.VmStart).Detail;
        Assert.Contains("VM vm resumed", start);
        Assert.Matches("RAM sha256 [0-9a-f]{64} equals the one taken after the stop", start);
        Assert.DoesNotContain("booted cold", start);
        Assert.NotNull(demo.FreezeAccount);
        Assert.Matches("RAM sha256 [0-9a-f]{64}", demo.FreezeAccount);
        Assert.True(demo.LuodBlackoutNs > 0, "luod reported no positive blackout for participant vm");
        Assert.True(demo.Heartbeat?.Gap > TimeSpan.Zero, $"the host did not hear the VM's heartbeat stop and start again across the update: {demo.Heartbeat}");
        Assert.True(demo.Passed);
    }
}
