// VmGuestConsoleTests: the continuity verdict the VM scenarios rest on (GuestContract's
// VmGuestConsole, reading vm/vm-guest-init.sh's lines): the same boot going on passes; a reboot,
// a reset or skipped counter, uptime going back, a wrong or missing check of the seeded region fail
// with a message that names what broke.
using LiveUpdate.GuestContract;

namespace LiveUpdate.VmTests;

public sealed class VmGuestConsoleTests
{
    private const string Boot = "11111111-2222-3333-4444-555555555555";
    private static readonly string Seed = new('a', 64);
    private static readonly string Other = new('b', 64);

    private static string Tick(long n, double up, string? check = null, string boot = Boot) =>
        $"vmguest: boot={boot} tick={n} uptime={up:0.00}{(check is null ? "" : $" check={check}")}\r\n";

    private static VmGuestConsole Before => VmGuestConsole.Parse($"vmguest: boot={Boot} seeded={Seed}\r\n" + Tick(1, 10) + Tick(2, 10.2) + Tick(3, 10.4, Seed));

    [Fact]
    public void The_same_boot_going_on_is_continuity()
    {
        var after = VmGuestConsole.Parse(Tick(9, 11.6) + Tick(10, 11.8, Seed) + Tick(11, 12.0));
        Assert.Null(VmGuestConsole.ContinuityProblem(Before, after, Seed));
        Assert.Equal(3, Before.Last!.Tick);
        Assert.Equal(Seed, Before.Seeds.Single().Sha256);
    }

    [Theory]
    [InlineData("reboot", "booted again")]
    [InlineData("other-boot", "boot id changed")]
    [InlineData("reset", "went back from 3 to 1")]
    [InlineData("uptime", "uptime went back")]
    [InlineData("skip", "skip from 9 to 12")]
    [InlineData("bad-check", "hashes bbbb")]
    [InlineData("no-check", "only 0 check(s)")]
    [InlineData("silent", "no tick of the VM was seen after")]
    public void Every_break_of_continuity_is_named(string broken, string expected)
    {
        string after = broken switch
        {
            "reboot" => $"vmguest: boot={Boot} seeded={Seed}\n" + Tick(1, 1, Seed),
            "other-boot" => Tick(9, 11.6, Seed, boot: "99999999-2222-3333-4444-555555555555"),
            "reset" => Tick(1, 11.6, Seed),
            "uptime" => Tick(9, 9.0, Seed),
            "skip" => Tick(9, 11.6, Seed) + Tick(12, 12.2),
            "bad-check" => Tick(9, 11.6, Other),
            "no-check" => Tick(9, 11.6),
            _ => "",
        };
        string? problem = VmGuestConsole.ContinuityProblem(Before, VmGuestConsole.Parse(after), Seed);
        Assert.NotNull(problem);
        Assert.Contains(expected, problem);
    }

    [Fact]
    public void Lines_that_are_not_the_VMs_are_ignored()
    {
        var console = VmGuestConsole.Parse("[    0.1] Linux version 7.3\nvmguest: boot=x tick=oops\n" + Tick(4, 1.5));
        Assert.Equal(4, Assert.Single(console.Ticks).Tick);
    }
}

public sealed class VmHeartbeatTests
{
    private static LiveUpdate.VmHarness.Runs.ObservedGuestLine Beat(int hop, double atSeconds, double uptime) =>
        new(TimeSpan.FromSeconds(atSeconds), new GuestReportLine { Type = GuestReportLineTypes.Mark, Hop = hop, Name = StepNames.VmUpdate.TickMark, Detail = $"tick=1 uptime={uptime}" });

    [Fact]
    public void The_silence_runs_from_the_last_beat_before_to_the_first_after()
    {
        // Last beat before at host 100 s (VM uptime 50.0), first after at host 115 s (VM uptime 52.5): 15 s of silence, 2.5 s of it the VM running.
        var beats = new[] { Beat(0, 99, 49.8), Beat(0, 100, 50.0), Beat(1, 115, 52.5), Beat(1, 116, 52.7) }
            .Select(LiveUpdate.VmHarness.Demo.VmHeartbeat.From).OfType<LiveUpdate.VmHarness.Demo.VmBeat>().ToList();
        var gap = LiveUpdate.VmHarness.Demo.VmHeartbeat.Across(beats)!;
        Assert.Equal(TimeSpan.FromSeconds(15), gap.Gap);
        Assert.Equal(2.5, gap.VmUptimeAdvanced.TotalSeconds, 6);
        Assert.Null(LiveUpdate.VmHarness.Demo.VmHeartbeat.Across(beats.Where(b => b.Hop == 0).ToList()));
        Assert.Null(LiveUpdate.VmHarness.Demo.VmHeartbeat.From(new(TimeSpan.Zero, new GuestReportLine { Type = GuestReportLineTypes.Step, Name = "x" })));
    }
}
