// SystemdShutdownTests: systemd 262's preserved shutdown timestamps placed on an update's
// timeline (SystemdShutdown): right after luod's reboot request, at their realtime span from it,
// in the report's handover rows, without disturbing the TSC bridge across the kexec; moments of
// an older shutdown are left out.
namespace LiveUpdate.Telemetry.Tests;

public sealed class SystemdShutdownTests
{
    private static readonly SyntheticUpdate Update = new();

    /// <summary>True times after luod's reboot request (40.270 s), before the previous kernel's "Starting new kernel" (40.318 s).</summary>
    private static readonly (string Name, long TrueNs)[] Shutdown =
    [
        (SystemdShutdown.Start, 40_275_000_000), (SystemdShutdown.Finish, 40_296_000_000),
        (SystemdShutdown.LateStart, 40_301_000_000), (SystemdShutdown.LateFinish, 40_312_000_000),
    ];

    private static UpdateTimeline WithSystemd(IEnumerable<(string Name, long TrueNs)> moments) =>
        SystemdShutdown.With(Update.FullTimeline(), [.. moments.Select(m => (m.Name, Update.SampleAt(m.TrueNs).RealtimeNs))], "systemd 262.1, kexec 1 since the cold boot");

    [Fact]
    public void Systemds_shutdown_follows_the_reboot_request_at_its_true_times()
    {
        var timeline = WithSystemd(Shutdown);
        int reboot = timeline.Events.ToList().FindIndex(e => e.Name == TimelineEvents.Reboot);
        Assert.Equal(SystemdShutdown.Names, timeline.Events.Skip(reboot + 1).Take(4).Select(e => e.Name));
        Assert.All(timeline.Events.Skip(reboot + 1).Take(4), e =>
        {
            Assert.Equal(UpdatePhase.Reboot, e.Phase);
            Assert.Equal(KernelSide.Previous, e.Kernel);
            Assert.Null(e.Sample);
        });

        var report = UpdateReport.From(timeline);
        Assert.Empty(report.Anomalies);
        Assert.Equal(ClockBasis.Tsc, report.ClockBasis);
        Assert.Equal(Shutdown.Select(m => m.TrueNs - SyntheticUpdate.Origin), report.Handover!.Systemd.Select(m => m.AtNs));
        var rows = ReportTable.From(report).Handover;
        Assert.Equal("reboot handed to systemd (kexec.target)", rows[0].Step);
        Assert.Equal(["systemd: stopping units", "systemd: every unit stopped", "systemd-shutdown started", "systemd-shutdown: kexec"], rows.Skip(1).Take(4).Select(r => r.Step));
        Assert.Equal("21.0 ms", rows[2].Duration);
    }

    [Fact]
    public void Moments_of_an_earlier_shutdown_and_a_timeline_without_a_reboot_are_left_alone()
    {
        var timeline = WithSystemd([(SystemdShutdown.Start, 39_000_000_000), (SystemdShutdown.LateFinish, 40_312_000_000)]);
        Assert.Equal([SystemdShutdown.LateFinish], timeline.Events.Where(e => SystemdShutdown.Names.Contains(e.Name)).Select(e => e.Name));

        var unfinished = Update.FullTimeline() with { Events = [.. Update.FullTimeline().Events.Where(e => e.Name != TimelineEvents.Reboot)] };
        Assert.Same(unfinished, SystemdShutdown.With(unfinished, [(SystemdShutdown.Start, Update.SampleAt(40_275_000_000).RealtimeNs)], null));
        Assert.Equal("reboot(LINUX_REBOOT_CMD_KEXEC) called", ReportTable.From(UpdateReport.From(Update.FullTimeline())).Handover[0].Step);
    }
}
