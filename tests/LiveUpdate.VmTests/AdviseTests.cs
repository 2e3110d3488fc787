// AdviseTests: `luoctl advise --json` in the guest (scenario advise, 7.2 → 7.3) against the real
// next kernel: its findings must match what the harness knows about the machine it booted — the
// 7.3 bzImage's size and LZ4 payload, the initramfs it packed, ttyS0 at the 8250's default speed,
// the fixed kho_scratch sizes, shmem in 4 KiB pages with luod holding 64 MiB, and 7.2's purgatory
// hashing where 7.3's (kho=on) does not. Cheap: no lever is run here.
using System.Text.Json;
using LiveUpdate.GuestContract;
using Xunit.Abstractions;
using static LiveUpdate.VmTests.PassingRun;

namespace LiveUpdate.VmTests;

[Collection(VmFixture.CollectionName)]
[Trait("Category", "Vm")]
public sealed class AdviseTests : IDisposable
{
    private readonly VmFixture fixture;
    private readonly ITestOutputHelper output;
    private readonly IDisposable attachment;

    public AdviseTests(VmFixture fixture, ITestOutputHelper output)
    {
        this.fixture = fixture;
        this.output = output;
        attachment = fixture.AttachOutput(output);
    }

    public void Dispose() => attachment.Dispose();

    [Fact]
    public async Task Advise_matches_the_guest_and_the_next_kernel()
    {
        var result = await RunAsync(fixture, output, ScenarioNames.Advise, ["7.2", "7.3"], TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(45));
        AssertStepsPassed(result, 0, StepNames.Advise.Setup, StepNames.Advise.Json);
        AssertStepsPassed(result, 1, StepNames.Advise.Setup, StepNames.Advise.Json);
        var next = result.Kernels[1];

        using var on72 = JsonDocument.Parse(result.Report.Steps.Single(s => s.Hop == 0 && s.Name == StepNames.Advise.Json).Detail);
        output.WriteLine(on72.RootElement.ToString());
        var facts = on72.RootElement.GetProperty("facts");
        Assert.Equal(next.Release, facts.GetProperty("nextRelease").GetString());
        Assert.Equal("lz4", facts.GetProperty("payload").GetString());
        Assert.Equal(new FileInfo(next.BzImage).Length, facts.GetProperty("imageBytes").GetInt64());
        Assert.Equal(result.InitramfsBytes, facts.GetProperty("initrdBytes").GetInt64());
        Assert.Equal("cpio", facts.GetProperty("initrdFormat").GetString());
        Assert.Equal(["ttyS0"], facts.GetProperty("serialConsoles").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(9600, facts.GetProperty("serialBaud").GetInt32());
        Assert.Equal(7, facts.GetProperty("nextConsoleLogLevel").GetInt32());
        Assert.Equal([128UL << 20, 512UL << 20, 256UL << 20], facts.GetProperty("scratchBytes").EnumerateArray().Select(b => b.GetUInt64()));
        Assert.Equal("never", facts.GetProperty("shmemHugePages").GetString());
        Assert.True(facts.GetProperty("preservedBytes").GetInt64() >= StepNames.Advise.SessionMiB << 20);
        Assert.True(facts.GetProperty("boundDevices").GetInt32() > 0);

        var applies = Findings(on72);
        Assert.False(applies["kernel-payload"]);
        Assert.True(applies["purgatory-hash"]);
        Assert.True(applies["initramfs-unpack"]);
        Assert.True(applies["console-loglevel"]);
        Assert.True(applies["serial-console"]);
        Assert.True(applies["kho-scratch"]);
        Assert.True(applies["memfd-pages"]);
        Assert.False(applies["deferred-struct-page-init"]);
        Assert.True(applies["device-probe"]);

        // In 7.3 (kho=on) the purgatory no longer hashes: the one lever that depends on the kernel making the kexec.
        using var on73 = JsonDocument.Parse(result.Report.Steps.Single(s => s.Hop == 1 && s.Name == StepNames.Advise.Json).Detail);
        Assert.False(Findings(on73)["purgatory-hash"]);
        Assert.StartsWith("7.3", on73.RootElement.GetProperty("facts").GetProperty("runningRelease").GetString());
    }

    private static Dictionary<string, bool> Findings(JsonDocument report) =>
        report.RootElement.GetProperty("findings").EnumerateArray()
            .ToDictionary(f => f.GetProperty("lever").GetString()!, f => f.GetProperty("applies").GetBoolean());
}
