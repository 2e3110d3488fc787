namespace LiveUpdate.Telemetry.Tests;

/// <summary>Phases, blackouts and the handover computed from a timeline; disorder reported, never repaired.</summary>
public sealed class UpdateReportTests
{
    private static readonly UpdateReport Report = UpdateReport.From(new SyntheticUpdate().FullTimeline());

    [Fact]
    public void Each_client_is_blacked_out_from_its_pause_to_its_resume()
    {
        Assert.Equal(["redis", "nginx-cache", "postgres"], Report.Clients.Select(c => c.Client));
        long next = SyntheticUpdate.NextBoot;
        Assert.Equal(next + 8_961_000_000 - 40_095_000_000, Report.Clients[0].BlackoutNs);
        Assert.Equal(next + 9_004_000_000 - 40_145_000_000, Report.Clients[1].BlackoutNs);
        Assert.Equal(next + 9_429_000_000 - 40_230_000_000, Report.Clients[2].BlackoutNs);
        Assert.Equal(next + 9_019_000_000 - SyntheticUpdate.Origin, Report.Clients[2].ClaimedNs);
        Assert.All(Report.Clients, c => Assert.False(c.Approximate));
    }

    [Fact]
    public void Total_blackout_runs_from_the_first_pause_to_the_last_resume()
    {
        Assert.Equal(95_000_000, Report.TotalBlackoutStartNs);
        Assert.Equal(SyntheticUpdate.NextBoot + 9_429_000_000 - 40_095_000_000, Report.TotalBlackoutNs);
        Assert.False(Report.TotalBlackoutApproximate);
    }

    [Fact]
    public void Phases_come_in_order_and_tile_the_update()
    {
        Assert.Equal(Enum.GetValues<UpdatePhase>(), Report.Phases.Select(p => p.Phase));
        for (int i = 0; i + 1 < Report.Phases.Count; i++)
            Assert.Equal(Report.Phases[i].StartNs + Report.Phases[i].DurationNs, Report.Phases[i + 1].StartNs);
        Assert.All(Report.Phases, p => Assert.True(p.DurationNs >= 0, $"{p.Phase}: {p.DurationNs}"));
        Assert.Empty(Report.Anomalies);

        long Duration(UpdatePhase phase) => Report.Phases.Single(p => p.Phase == phase).DurationNs;
        Assert.Equal(50_000_000, Duration(UpdatePhase.Staged));
        Assert.Equal(185_000_000, Duration(UpdatePhase.Prepare));   // prepare → freeze
        Assert.Equal(35_000_000, Duration(UpdatePhase.Freeze));     // freeze → reboot()
        Assert.Equal(101_000_000, Duration(UpdatePhase.Reboot));    // reboot() → next kernel t=0
        Assert.Equal(8_447_190_000, Duration(UpdatePhase.KernelBoot)); // t=0 → /init (recorded)
        Assert.Equal(411_810_000, Duration(UpdatePhase.Startup));   // /init → luod
        Assert.Equal(90_000_000, Duration(UpdatePhase.Restore));    // luod → first claim
        Assert.Equal(502_000_000, Duration(UpdatePhase.Resume));    // first claim → finish
        Assert.Equal(0, Duration(UpdatePhase.Finish));
    }

    [Fact]
    public void The_kernel_handover_is_broken_down()
    {
        var h = Report.Handover!;
        Assert.Equal(270_000_000, h.RebootNs);
        Assert.Equal(48_000_000, h.ShutdownDurationNs);    // reboot() → "Starting new kernel"
        Assert.Equal(53_000_000, h.JumpDurationNs);        // → next kernel t=0
        Assert.Equal(8_447_190_000, h.BootToInitNs);
        Assert.Equal(411_810_000, h.InitToDaemonNs);
        Assert.Equal(SyntheticUpdate.NextBoot + 8_859_000_000 - 40_270_000_000, h.TotalNs);
        Assert.False(h.Approximate);
    }

    [Fact]
    public void The_previous_kernels_shutdown_lines_from_pstore_join_the_handover_in_order()
    {
        var synthetic = new SyntheticUpdate();
        var dump = new PstoreLog([], [
            new KernelLogLine(40_200_000_000, "before the reboot call: not shutdown"),
            new KernelLogLine(40_290_000_000, "luo: session serialized"),
            new KernelLogLine(40_300_000_000, "reboot: kexec"),
            new KernelLogLine(SyntheticUpdate.TrueShutdown, "kexec_core: Starting new kernel")],
            ["dmesg-ramoops-0"], DateTimeOffset.UnixEpoch.AddTicks((SyntheticUpdate.RealtimeAtPreviousBoot + SyntheticUpdate.TrueShutdown) / 100));
        var report = UpdateReport.From(KernelLogMerge.WithPreviousKernelLog(synthetic.DaemonTimeline(), dump));
        var h = report.Handover!;
        Assert.Equal([new HandoverMoment("luo: session serialized", 290_000_000), new HandoverMoment("reboot: kexec", 300_000_000)], h.PreviousKernelLines);
        Assert.Equal(318_000_000, h.PreviousKernelShutdownNs);
        Assert.All(report.Events.Where(e => e.Name == TimelineEvents.KernelShutdownLine), e => Assert.Equal(EventSource.Pstore, e.Source));
        var rows = ReportTable.From(report).Handover.Select(r => r.Step).ToList();
        Assert.Equal(["reboot(LINUX_REBOOT_CMD_KEXEC) called", "previous kernel: luo: session serialized", "previous kernel: reboot: kexec",
            "previous kernel: Starting new kernel"], rows.Take(4));
        Assert.Empty(report.Anomalies);
    }

    [Fact]
    public void A_dump_older_than_the_reboot_call_is_an_earlier_boots_and_is_left_out()
    {
        var synthetic = new SyntheticUpdate();
        var stale = new PstoreLog([], [new KernelLogLine(40_300_000_000, "an earlier boot: reboot: kexec")], ["dmesg-ramoops-0"],
            DateTimeOffset.UnixEpoch.AddTicks((SyntheticUpdate.RealtimeAtPreviousBoot + 30_000_000_000) / 100));
        var report = UpdateReport.From(KernelLogMerge.WithPreviousKernelLog(synthetic.DaemonTimeline(), stale));
        Assert.Empty(report.Handover!.PreviousKernelLines);
        Assert.Null(report.Handover.PreviousKernelShutdownNs);
    }

    [Fact]
    public void Releases_and_kexec_count_come_from_the_next_kernels_log()
    {
        Assert.Equal("7.2.13", Report.PreviousRelease);
        Assert.Equal("7.3.4", Report.NextRelease);
        Assert.Equal(1, Report.KexecCount);
    }

    [Fact]
    public void An_event_recorded_out_of_order_is_an_anomaly_not_sorted()
    {
        var events = SyntheticUpdate.DaemonEvents.ToList();
        // luod recorded "freeze" before postgres's pause arrived (postgres paused 5 ms before the freeze sample).
        int postgres = events.FindIndex(e => e.Client == "postgres" && e.Name == TimelineEvents.ClientPaused);
        (events[postgres], events[postgres + 1]) = (events[postgres + 1], events[postgres]);
        var timeline = new SyntheticUpdate().DaemonTimeline(events);
        var report = UpdateReport.From(timeline);

        Assert.Equal(timeline.Events.Select(e => (e.Name, e.Client)), report.Events.Select(e => (e.Name, e.Client)));
        Assert.Contains(report.Anomalies, a => a.StartsWith("Out of order: 'client.paused (postgres)' was recorded after 'freeze'") && a.Contains("5.00 ms earlier"));
        Assert.Contains(report.Anomalies, a => a.StartsWith("Phase went backwards"));
    }

    [Fact]
    public void A_phase_that_starts_before_the_previous_one_is_an_anomaly()
    {
        var events = SyntheticUpdate.DaemonEvents.Select(e => e.Name == TimelineEvents.Freeze ? (e.Name, e.Client, 40_040_000_000L) : e).ToList();
        var report = UpdateReport.From(new SyntheticUpdate().DaemonTimeline(events));
        Assert.Contains(report.Anomalies, a => a.StartsWith("Phase Prepare starts at") && a.Contains("Freeze"));
        Assert.True(report.Phases.Single(p => p.Phase == UpdatePhase.Prepare).DurationNs < 0);
    }

    [Fact]
    public void A_client_that_never_resumes_is_reported()
    {
        var events = SyntheticUpdate.DaemonEvents.Where(e => !(e.Client == "postgres" && e.Name == TimelineEvents.ClientResumed));
        var report = UpdateReport.From(new SyntheticUpdate().DaemonTimeline(events));
        var postgres = report.Clients.Single(c => c.Client == "postgres");
        Assert.Null(postgres.BlackoutNs);
        Assert.Contains(report.Anomalies, a => a.Contains("'postgres' paused but never acknowledged resumed"));
        Assert.Equal(SyntheticUpdate.NextBoot + 9_004_000_000 - 40_095_000_000, report.TotalBlackoutNs); // last resume: nginx-cache
    }

    [Fact]
    public void The_table_shows_every_phase_and_client()
    {
        var table = ReportTable.From(Report);
        Assert.Equal(9, table.Phases.Count);
        Assert.Equal(3, table.Clients.Count);
        Assert.Equal("9.570 s", table.Clients[2].Blackout);
        string text = table.ToText();
        Assert.Contains("7.2.13 → 7.3.4", text);
        Assert.Contains("TSC at 2000.000 MHz", text);
        Assert.Contains("reboot call → luod started", text);

        var approximate = ReportTable.From(UpdateReport.From(new SyntheticUpdate { WithTsc = false }.FullTimeline()));
        Assert.Contains("±1 s", approximate.Clients[0].Blackout);
        Assert.StartsWith("≈", approximate.Clients[0].Blackout);
        Assert.Contains("RTC", approximate.Summary[0]);
    }
}
