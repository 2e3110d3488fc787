using LiveUpdate.Kernel;

namespace LiveUpdate.Telemetry.Tests;

/// <summary>Capture on this host, with real clocks.</summary>
public sealed class TelemetryCaptureTests
{
    [Fact]
    public void Begin_and_continue_record_samples_clock_status_and_the_kernel_log()
    {
        var timeline = TelemetryCapture.Begin("host-test", "next");
        Assert.Equal(TelemetryCapture.RunningRelease(), timeline.PreviousRelease);
        Assert.Equal(TimelineEvents.Staged, Assert.Single(timeline.Events).Name);
        Assert.True(timeline.PreviousKernel!.TscInvariant);
        Assert.NotNull(timeline.PreviousKernel.TscHz);
        timeline = timeline.Record(TimelineEvents.Daemon(TimelineEvents.Reboot));

        string pstore = Directory.CreateTempSubdirectory("pstore").FullName;
        try
        {
            var continued = TelemetryCapture.Continue(timeline, pstore);
            Assert.Equal(KernelSide.Next, continued.Events.Single(e => e.Name == TimelineEvents.DaemonStart).Kernel);
            Assert.NotNull(continued.NextKernel);
            Assert.Contains(continued.Events, e => e.Name == TimelineEvents.KernelBoot && e.Source == EventSource.KernelLog);
            // This "next kernel" is the same boot: CLOCK_BOOTTIME did not restart, so its TSC at time 0 lies
            // before the previous samples. The plausibility check refuses that as a TSC bridge.
            var report = UpdateReport.From(continued);
            Assert.Equal(ClockBasis.RealtimeApproximate, report.ClockBasis);
            Assert.Contains(report.ClockNotes, n => n.Contains("reset or rewritten"));
        }
        finally { Directory.Delete(pstore, recursive: true); }
    }

    [Fact]
    public void The_tsc_bridge_on_real_clock_samples_matches_boottime()
    {
        var status = TimestampCounter.Describe();
        var info = KernelClockInfo.From("host", status);
        ClockSample a = ClockSample.Capture();
        Thread.Sleep(150);
        ClockSample b = ClockSample.Capture();
        // Pretend a kexec happened 1 ms after sample a: the next kernel's CLOCK_BOOTTIME restarts there, the TSC runs on.
        long nextBootAt = a.BoottimeNs + 1_000_000;
        var next = b with { BoottimeNs = b.BoottimeNs - nextBootAt };
        var timeline = new UpdateTimeline { UpdateId = "bridge", PreviousKernel = info, NextKernel = info }
            .Record(TimelineEvents.Daemon(TimelineEvents.Reboot, sample: a))
            .Record(TimelineEvents.Daemon(TimelineEvents.DaemonStart, sample: next));
        var report = UpdateReport.From(timeline);
        Assert.Equal(ClockBasis.Tsc, report.ClockBasis);
        long bridged = report.Events[1].OffsetNs!.Value;
        long truth = b.BoottimeNs - a.BoottimeNs;
        Assert.InRange(bridged - truth, -100_000, 100_000); // the TSC at the kernel's frequency agrees with CLOCK_BOOTTIME to 0.1 ms over 150 ms
        Assert.InRange(report.Handover!.NextKernelBootNs!.Value - 1_000_000, -100_000, 100_000);
    }
}
