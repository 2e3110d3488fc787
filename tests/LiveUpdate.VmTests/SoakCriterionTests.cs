// SoakCriterionTests: the host half of the soak without a VM — luvm reads back exactly the detail
// the guest's soak.resources step writes, and the resource criterion (SoakBenchmark.Judge) flags
// an fd held beyond the sessions and RSS growth past +25 % of the warm-up hop, and nothing else.
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness.Benchmarks;
using LiveUpdate.VmHarness.Runs;
using Keys = LiveUpdate.GuestContract.StepNames.Soak.Keys;

namespace LiveUpdate.VmTests;

public sealed class SoakCriterionTests
{
    private static GuestStep Resources(int hop, long rssKiB, int fdsBeyond, int held = 3) => new(hop, hop % 2 == 0 ? "7.2.13" : "7.3.4", StepNames.Soak.Resources, true, 5,
        BenchDetail.Format((Keys.Live, 3), (Keys.Created, 1), (Keys.Finished, 1), (Keys.Orphaned, 0), (Keys.Carried, 1), (Keys.Grown, 1),
            (Keys.Files, 7), (Keys.BytesChecked, 126976L), (Keys.RssKiB, rssKiB), (Keys.HwmKiB, rssKiB + 100), (Keys.Fds, fdsBeyond + held),
            (Keys.SessionsHeld, held), (Keys.FdsBeyondSessions, fdsBeyond), (Keys.FdsBeyondSessionsAtArrival, fdsBeyond), (Keys.FdsAppeared, "-"), (Keys.UptimeMs, 12000.5)), []);

    private static IReadOnlyList<SoakHopFigures> Figures(params GuestStep[] steps) => SoakBenchmark.Figures(new GuestReport([], steps, null, []));

    [Fact]
    public void Figures_read_back_what_the_guest_writes()
    {
        var hop = Assert.Single(Figures(Resources(1, 23176, 16)));
        Assert.Equal(new SoakHopFigures(1, "7.3.4", 3, 1, 1, 0, 1, 1, 7, 126976, 23176, 23276, 19, 3, 16, 16, "-", 12000.5), hop);
    }

    [Fact]
    public void Steady_resources_pass_and_hop_0_is_the_warm_up()
    {
        Assert.Empty(SoakBenchmark.Judge(Figures(Resources(0, 15000, 14), Resources(1, 23000, 16), Resources(2, 28000, 16), Resources(3, 22000, 16))));
    }

    [Fact]
    public void An_fd_beyond_the_sessions_is_flagged()
    {
        var violation = Assert.Single(SoakBenchmark.Judge(Figures(Resources(1, 23000, 16), Resources(2, 23000, 17))));
        Assert.Contains("hop 2", violation);
        Assert.Contains("17 fds beyond", violation);
    }

    [Fact]
    public void Rss_past_a_quarter_above_hop_1_is_flagged()
    {
        var violation = Assert.Single(SoakBenchmark.Judge(Figures(Resources(1, 20000, 16), Resources(2, 25000, 16), Resources(3, 25001, 16))));
        Assert.Contains("hop 3", violation);
    }
}
