namespace LiveUpdate.Telemetry.Tests;

/// <summary>Placing both kernels on one axis: TSC basis and realtime fallback.</summary>
public sealed class ClockMappingTests
{
    private static long? Offset(UpdateReport report, string name, string? client = null) =>
        report.Events.Single(e => e.Name == name && e.Client == client).OffsetNs;

    [Fact]
    public void Tsc_basis_places_the_next_kernel_exactly()
    {
        var update = new SyntheticUpdate();
        var report = UpdateReport.From(update.FullTimeline());

        Assert.Equal(ClockBasis.Tsc, report.ClockBasis);
        Assert.Equal(0, report.UncertaintyNs);
        foreach (var (name, client, trueNs) in SyntheticUpdate.DaemonEvents)
            Assert.Equal(trueNs - SyntheticUpdate.Origin, Offset(report, name, client)!.Value);
        Assert.All(report.Events, e => Assert.False(e.Approximate));
        // The next kernel's log lands at its own boot + printk time, whatever the RTC said.
        Assert.Equal(SyntheticUpdate.NextBoot - SyntheticUpdate.Origin, Offset(report, TimelineEvents.KernelBoot));
        Assert.Equal(SyntheticUpdate.NextBoot - SyntheticUpdate.Origin + 769_232_000, Offset(report, TimelineEvents.LuoRetrieved));
        Assert.Equal(SyntheticUpdate.NextBoot - SyntheticUpdate.Origin + 8_447_190_000, Offset(report, TimelineEvents.KernelInit));
        // The previous kernel's pstore line maps through its boottime samples.
        Assert.Equal(SyntheticUpdate.TrueShutdown - SyntheticUpdate.Origin, Offset(report, TimelineEvents.KernelShutdown));
        Assert.Equal(2000.000e6, report.TscHz); // the previous kernel's refined calibration (tie goes to the previous kernel)
    }

    [Fact]
    public void Without_tsc_the_realtime_fallback_is_marked_approximate()
    {
        // The next kernel's realtime is 40 ms behind (NTP had nearly caught up): off, but not before the kexec.
        var update = new SyntheticUpdate { WithTsc = false, RtcErrorNs = -40_000_000 };
        var report = UpdateReport.From(update.FullTimeline());

        Assert.Equal(ClockBasis.RealtimeApproximate, report.ClockBasis);
        Assert.Equal(ClockMapping.RealtimeUncertaintyNs, report.UncertaintyNs);
        Assert.Contains(report.ClockNotes, n => n.Contains("±1 s"));
        foreach (var (name, client, trueNs) in SyntheticUpdate.DaemonEvents)
        {
            var e = report.Events.Single(x => x.Name == name && x.Client == client);
            bool next = trueNs >= SyntheticUpdate.NextBoot;
            Assert.Equal(trueNs - SyntheticUpdate.Origin + (next ? update.RtcErrorNs : 0), e.OffsetNs);
            Assert.Equal(next, e.Approximate);
        }
        // Spans within one kernel stay exact; spans across the kexec carry the RTC's error and say so.
        var restore = report.Phases.Single(p => p.Phase == UpdatePhase.Restore);
        Assert.Equal(90_000_000, restore.DurationNs); // luod started → first claim
        Assert.True(restore.StartApproximate);
        Assert.False(restore.DurationApproximate);
        Assert.True(report.Phases.Single(p => p.Phase == UpdatePhase.Reboot).DurationApproximate);
        Assert.False(report.Phases.Single(p => p.Phase == UpdatePhase.Prepare).DurationApproximate);
        var redis = report.Clients.Single(c => c.Client == "redis");
        Assert.True(redis.Approximate);
        Assert.Equal(SyntheticUpdate.NextBoot + 8_961_000_000 - 40_095_000_000 + update.RtcErrorNs, redis.BlackoutNs);
        Assert.True(report.TotalBlackoutApproximate);
        Assert.True(report.Handover!.Approximate);
        Assert.Equal(8_447_190_000, report.Handover.BootToInitNs); // exact: both ends in the next kernel
    }

    [Fact]
    public void A_realtime_estimate_before_the_kexec_is_moved_to_the_earliest_possible_boot()
    {
        // The RTC's truncated second puts the next kernel's realtime 620 ms behind: the raw estimate has the
        // next kernel boot before the previous one stopped. It is placed at "Starting new kernel" instead.
        var report = UpdateReport.From(new SyntheticUpdate { WithTsc = false, RtcErrorNs = -620_000_000 }.FullTimeline());
        Assert.Equal(SyntheticUpdate.TrueShutdown - SyntheticUpdate.Origin, Offset(report, TimelineEvents.KernelBoot));
        Assert.Contains(report.ClockNotes, n => n.Contains("the earliest it can have been"));
        Assert.All(report.Phases, p => Assert.True(p.DurationNs >= 0, $"{p.Phase}: {p.DurationNs}"));
        Assert.Empty(report.Anomalies);
        // 53 ms short of the truth (the true jump took 53 ms), well inside the ±1 s.
        long trueTotal = SyntheticUpdate.NextBoot + 9_429_000_000 - 40_095_000_000;
        Assert.Equal(trueTotal - 53_000_000, report.TotalBlackoutNs);

        // Without the pstore line, the bound is luod's last sample: reboot().
        var withoutPstore = UpdateReport.From(new SyntheticUpdate { WithTsc = false, RtcErrorNs = -620_000_000 }.DaemonTimeline());
        Assert.Equal(270_000_000, withoutPstore.Handover!.NextKernelBootNs);
    }

    [Fact]
    public void A_tsc_reset_by_the_kexec_falls_back_to_realtime()
    {
        var report = UpdateReport.From(new SyntheticUpdate { TscResetByKexec = true }.DaemonTimeline());
        Assert.Equal(ClockBasis.RealtimeApproximate, report.ClockBasis);
        Assert.Contains(report.ClockNotes, n => n.Contains("TSC went backwards") || n.Contains("reset"));
    }

    [Fact]
    public void A_tsc_that_is_not_invariant_is_not_trusted()
    {
        var report = UpdateReport.From(new SyntheticUpdate { TscInvariant = false }.DaemonTimeline());
        Assert.Equal(ClockBasis.RealtimeApproximate, report.ClockBasis);
        Assert.Contains(report.ClockNotes, n => n.Contains("not invariant"));
    }

    [Fact]
    public void An_unknown_frequency_falls_back_until_the_kernel_log_supplies_it()
    {
        var update = new SyntheticUpdate { FrequencyKnown = false };
        Assert.Equal(ClockBasis.RealtimeApproximate, UpdateReport.From(update.DaemonTimeline()).ClockBasis);
        // The next kernel's log states its refined calibration: 2000.001 MHz (recorded), 0.5 ppm off the truth.
        var report = UpdateReport.From(update.FullTimeline());
        Assert.Equal(ClockBasis.Tsc, report.ClockBasis);
        long trueFinish = SyntheticUpdate.NextBoot + 9_451_000_000 - SyntheticUpdate.Origin;
        Assert.InRange(Offset(report, TimelineEvents.Finish)!.Value, trueFinish - 50_000, trueFinish + 50_000);
    }

    [Fact]
    public void A_wrong_realtime_in_the_next_kernel_is_reported_but_the_tsc_is_kept()
    {
        var update = new SyntheticUpdate { RtcErrorNs = 3_600_000_000_000 }; // RTC in local time: an hour off
        var report = UpdateReport.From(update.DaemonTimeline());
        Assert.Equal(ClockBasis.Tsc, report.ClockBasis);
        Assert.Contains(report.ClockNotes, n => n.Contains("disagrees"));
        Assert.Equal(SyntheticUpdate.NextBoot + 9_451_000_000 - SyntheticUpdate.Origin, Offset(report, TimelineEvents.Finish));
    }

    [Fact]
    public void Before_the_kexec_only_the_previous_kernel_is_placed()
    {
        var update = new SyntheticUpdate();
        var report = UpdateReport.From(update.DaemonTimeline(SyntheticUpdate.DaemonEvents.Take(8)));
        Assert.Equal(ClockBasis.Tsc, report.ClockBasis);
        Assert.Equal(270_000_000, Offset(report, TimelineEvents.Reboot));
        Assert.Null(report.Handover!.NextKernelBootNs);
        Assert.Contains(report.Anomalies, a => a.Contains("never acknowledged resumed"));
    }

    [Fact]
    public void The_more_trustworthy_frequency_is_chosen()
    {
        var detected = new KernelClockInfo("a", 1999.994e6, Kernel.TscFrequencySource.KernelDetected, true, "tsc");
        var refined = new KernelClockInfo("b", 2000.000e6, Kernel.TscFrequencySource.KernelRefinedCalibration, true, "tsc");
        Assert.Equal(2000.000e6, ClockMapping.ChooseFrequency(detected, refined)!.Hz);
        Assert.Equal(2000.000e6, ClockMapping.ChooseFrequency(refined, detected)!.Hz);
        Assert.Equal(1999.994e6, ClockMapping.ChooseFrequency(detected, null)!.Hz);
        Assert.Null(ClockMapping.ChooseFrequency(null, null));
    }
}
