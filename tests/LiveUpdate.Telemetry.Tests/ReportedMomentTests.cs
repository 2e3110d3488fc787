// ReportedMomentTests: events at moments participants reported (pausedAtNs, resumedAtNs) sit
// on the synthetic update's true axis exactly: the sample is shifted on every clock, the event
// replaces the client's earlier one and is placed where its moment falls, in the phase luod
// was in then — so two VMMs that pause at freeze, acknowledged in the other order, read as a
// normal update.
using LiveUpdate.Kernel;

namespace LiveUpdate.Telemetry.Tests;

public sealed class ReportedMomentTests
{
    private static readonly SyntheticUpdate Update = new();
    private static readonly TscFrequency Frequency = new(SyntheticUpdate.TscHz, TscFrequencySource.KernelRefinedCalibration);

    [Fact]
    public void A_sample_shifted_back_reads_every_clock_at_that_moment()
    {
        var now = Update.SampleAt(40_262_000_000);
        var then = Update.SampleAt(40_240_000_000);
        Assert.Equal(then, ReportedMoment.Sample(now, then.RealtimeNs, Frequency));
        Assert.Equal(then with { Tsc = null }, ReportedMoment.Sample(now, then.RealtimeNs, null)); // no guessed TSC
        Assert.Equal(now, ReportedMoment.Sample(now, now.RealtimeNs + 3_000_000, Frequency));   // a hair in the future is now
    }

    [Fact]
    public void Two_vmms_pausing_at_freeze_replace_their_prepare_pauses_and_the_report_has_no_anomaly()
    {
        var events = SyntheticUpdate.DaemonEvents.ToList();
        int freeze = events.FindIndex(e => e.Name == TimelineEvents.Freeze);
        events.InsertRange(freeze, [(TimelineEvents.ClientPaused, "vmm-a", 40_200_000_000), (TimelineEvents.ClientPaused, "vmm-b", 40_210_000_000)]);
        events.InsertRange(events.FindIndex(e => e.Name == TimelineEvents.Finish),
            [(TimelineEvents.ClientResumed, "vmm-a", SyntheticUpdate.NextBoot + 9_430_000_000), (TimelineEvents.ClientResumed, "vmm-b", SyntheticUpdate.NextBoot + 9_440_000_000)]);
        int catalogWritten = events.FindIndex(e => e.Name == TimelineEvents.CatalogWritten);
        var timeline = Update.DaemonTimeline(events.Take(catalogWritten));

        // Freeze acknowledgements: vmm-a answers first (at 40.255 s) but stopped later than vmm-b (40.250 s vs 40.240 s).
        timeline = ReportedMoment.Record(timeline, TimelineEvents.ClientPaused, "vmm-a", ReportedMoment.Sample(Update.SampleAt(40_255_000_000), Update.SampleAt(40_250_000_000).RealtimeNs, Frequency), "a");
        timeline = ReportedMoment.Record(timeline, TimelineEvents.ClientPaused, "vmm-b", ReportedMoment.Sample(Update.SampleAt(40_258_000_000), Update.SampleAt(40_240_000_000).RealtimeNs, Frequency), "b");
        foreach (var (name, client, trueNs) in events.Skip(catalogWritten))
            timeline = timeline.Record(TimelineEvents.Daemon(name, client, Update.SampleAt(trueNs)));
        // vmm-b's vCPUs ran 30 ms before it called Resumed.
        var resumedNow = Update.SampleAt(SyntheticUpdate.NextBoot + 9_445_000_000);
        timeline = ReportedMoment.Record(timeline, TimelineEvents.ClientResumed, "vmm-b",
            ReportedMoment.Sample(resumedNow, resumedNow.RealtimeNs - 30_000_000, Frequency), "b resumed");

        var pauses = timeline.Events.Where(e => e.Name == TimelineEvents.ClientPaused && e.Client!.StartsWith("vmm", StringComparison.Ordinal)).ToList();
        Assert.Equal(["vmm-b", "vmm-a"], pauses.Select(e => e.Client));
        Assert.All(pauses, e => Assert.Equal(UpdatePhase.Freeze, e.Phase));
        var report = UpdateReport.From(timeline);
        Assert.Empty(report.Anomalies);
        Assert.Equal(SyntheticUpdate.NextBoot + 9_430_000_000 - 40_250_000_000, report.Clients.Single(c => c.Client == "vmm-a").BlackoutNs);
        Assert.Equal(SyntheticUpdate.NextBoot + 9_415_000_000 - 40_240_000_000, report.Clients.Single(c => c.Client == "vmm-b").BlackoutNs);
        Assert.Equal(UpdatePhase.Resume, timeline.Events.Single(e => e.Name == TimelineEvents.ClientResumed && e.Client == "vmm-b").Phase);
        Assert.Equal(ClockBasis.Tsc, report.ClockBasis);
    }
}
