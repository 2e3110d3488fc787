// SystemdTests: LiveUpdate under real systemd 262 (a Debian sid root, systemd-update) across a
// real kexec 7.2 → 7.3. luod comes from the project's Debian package (dpkg -i in the guest),
// starts on the first connection to luod.socket, runs sandboxed; `luoctl update` freezes two
// participants and reboots through systemd, whose own LUO handover (systemd-shutdown's session
// "systemd") carries luod's fd store; in the next kernel systemd counts the kexec, luod takes its
// sessions back from the fd store, survives a watchdog abort, and each participant's bytes match
// (SHA-256). Then (7.3 → 7.3) the operator's own path: `kexec -s -l` and a plain `systemctl kexec`
// with no luoctl; logind's delay lock lets luod freeze two new participants, whose bytes match too.
using System.Text.RegularExpressions;
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness.Runs;
using Xunit.Abstractions;
using Steps = LiveUpdate.GuestContract.StepNames.SystemdUpdate;

namespace LiveUpdate.VmTests;

[Collection(VmFixture.CollectionName)]
[Trait("Category", "Vm")]
public sealed class SystemdTests : IDisposable
{
    private readonly VmFixture fixture;
    private readonly ITestOutputHelper output;
    private readonly IDisposable attachment;

    public SystemdTests(VmFixture fixture, ITestOutputHelper output)
    {
        this.fixture = fixture;
        this.output = output;
        attachment = fixture.AttachOutput(output);
    }

    public void Dispose() => attachment.Dispose();

    [Fact]
    public async Task Luoctl_update_and_a_plain_systemctl_kexec_both_go_through_systemd_which_carries_luods_sessions()
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(45));
        var result = await fixture.Harness.RunScenarioAsync(new VmRunRequest(ScenarioNames.SystemdUpdate, ["7.2", "7.3", "7.3"]) { Timeout = TimeSpan.FromMinutes(25) }, limit.Token);
        output.WriteLine(RunReport.Summary(result));
        Assert.True(result.Passed, result.FailureSummary);
        Assert.Equal(3, result.Report.Boots.Count);
        foreach (var (hop, name) in new[] { (0, Steps.Boot), (0, Steps.Install), (0, Steps.SocketActivation), (0, Steps.Sandbox), (0, Steps.Participants),
                     (1, Steps.Boot), (1, Steps.Handover), (2, Steps.Watchdog), (1, Steps.Resume(Steps.CacheParticipant)), (1, Steps.Resume(Steps.VmmParticipant)), (1, Steps.Report),
                     (1, Steps.PlainParticipants), (2, Steps.Boot), (2, Steps.Resume(Steps.PlainCacheParticipant)), (2, Steps.Resume(Steps.PlainVmmParticipant)), (2, Steps.Report) })
        {
            var step = result.Report.Steps.SingleOrDefault(s => s.Hop == hop && s.Name == name);
            Assert.True(step is not null, $"hop {hop} has no step '{name}'");
            Assert.True(step.Ok, $"hop {hop} step '{name}' failed: {step.Detail}");
        }
        string Detail(int hop, string name) => result.Report.Steps.Single(s => s.Hop == hop && s.Name == name).Detail;
        Assert.Matches(@"systemd 26[2-9]", Detail(0, Steps.Boot));
        Assert.Matches("K[Ee]xecs?Count [ut] 0", Detail(0, Steps.Boot));
        // The next PID 1 found systemd's own session: by definition it was kexec'd.
        Assert.Matches("K[Ee]xecs?Count [ut] 1", Detail(1, Steps.Boot));
        Assert.Contains("started on the first connection", Detail(0, Steps.SocketActivation));
        Assert.Contains("CAP_SYS_BOOT only", Detail(0, Steps.Sandbox));
        Assert.Contains("sessions unchanged", Detail(2, Steps.Watchdog));
        foreach (var participant in new[] { Steps.CacheParticipant, Steps.VmmParticipant })
            Assert.Matches("intact sha256=[0-9a-f]{64}", Detail(1, Steps.Resume(participant)));
        foreach (var participant in new[] { Steps.PlainCacheParticipant, Steps.PlainVmmParticipant })
            Assert.Matches("intact sha256=[0-9a-f]{64}", Detail(2, Steps.Resume(participant)));
        Assert.Matches("K[Ee]xecs?Count [ut] 2", Detail(2, Steps.Boot));

        // systemd's own handover ran (systemd-shutdown logs to the console as the last process of the old kernel).
        string console = await File.ReadAllTextAsync(Path.Combine(result.RunDirectory, "console.log"));
        Assert.Equal(2, new Regex("Preserved fd stores in LUO session 'systemd' for kexec").Matches(console).Count);
        output.WriteLine(string.Join('\n', console.Split('\n').Where(l => l.Contains("LUO", StringComparison.Ordinal) || l.Contains("kexec", StringComparison.OrdinalIgnoreCase)).Take(40)));
    }
}
