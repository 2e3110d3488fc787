// SyntheticUpdate: a live update 7.2.13 → 7.3.4 built on one "true" time axis, so tests can
// compare what the mapping computes with the truth. The next kernel's log is the recorded one
// (console-7.2-to-7.3.log, a QEMU TCG run: that is why its boot to /init takes 8.4 s); luod's
// samples are generated: CLOCK_BOOTTIME of each kernel, a TSC that kexec does not reset
// (2 GHz), and CLOCK_REALTIME that the next kernel took from the RTC (off by RtcErrorNs).
using LiveUpdate.Kernel;

namespace LiveUpdate.Telemetry.Tests;

internal sealed record SyntheticUpdate
{
    public const double TscHz = 2_000_000_000;
    public const ulong TscAtPreviousBoot = 7_000_000_000;
    public const long RealtimeAtPreviousBoot = 1_795_300_000_000_000_000; // 2026-11-21T22:26:40Z

    /// <summary>True time (ns since the previous kernel booted) at which the next kernel's clocks start at 0.</summary>
    public const long NextBoot = 40_371_000_000;

    public bool WithTsc { get; init; } = true;
    public bool TscResetByKexec { get; init; }
    public bool TscInvariant { get; init; } = true;
    public bool FrequencyKnown { get; init; } = true;
    /// <summary>How far the next kernel's CLOCK_REALTIME is from the truth (the RTC's whole seconds).</summary>
    public long RtcErrorNs { get; init; } = -620_000_000;

    /// <summary>The true times of luod's events (previous kernel: before <see cref="NextBoot"/>).</summary>
    public static readonly (string Name, string? Client, long TrueNs)[] DaemonEvents =
    [
        (TimelineEvents.Staged, null, 40_000_000_000),
        (TimelineEvents.Prepare, null, 40_050_000_000),
        (TimelineEvents.ClientPaused, "redis", 40_095_000_000),
        (TimelineEvents.ClientPaused, "nginx-cache", 40_145_000_000),
        (TimelineEvents.ClientPaused, "postgres", 40_230_000_000),
        (TimelineEvents.Freeze, null, 40_235_000_000),
        (TimelineEvents.CatalogWritten, null, 40_262_000_000),
        (TimelineEvents.Reboot, null, 40_270_000_000),
        // next kernel: /init at NextBoot + 8.447190 s (recorded)
        (TimelineEvents.DaemonStart, null, NextBoot + 8_859_000_000),
        (TimelineEvents.CatalogRestored, null, NextBoot + 8_868_000_000),
        (TimelineEvents.SessionsRestored, null, NextBoot + 8_899_000_000),
        (TimelineEvents.ClientClaimed, "redis", NextBoot + 8_949_000_000),
        (TimelineEvents.ClientResumed, "redis", NextBoot + 8_961_000_000),
        (TimelineEvents.ClientClaimed, "nginx-cache", NextBoot + 8_990_000_000),
        (TimelineEvents.ClientResumed, "nginx-cache", NextBoot + 9_004_000_000),
        (TimelineEvents.ClientClaimed, "postgres", NextBoot + 9_019_000_000),
        (TimelineEvents.ClientResumed, "postgres", NextBoot + 9_429_000_000),
        (TimelineEvents.Finish, null, NextBoot + 9_451_000_000),
    ];

    /// <summary>The previous kernel's "Starting new kernel" (as its pstore console would show it).</summary>
    public const long TrueShutdown = 40_318_000_000;

    public const long Origin = 40_000_000_000;

    public ClockSample SampleAt(long trueNs)
    {
        bool next = trueNs >= NextBoot;
        long boottime = next ? trueNs - NextBoot : trueNs;
        long realtime = RealtimeAtPreviousBoot + trueNs + (next ? RtcErrorNs : 0);
        ulong? tsc = null;
        if (WithTsc)
        {
            ulong ticks = (ulong)(trueNs * (TscHz / 1e9));
            tsc = next && TscResetByKexec ? 1_000_000 + (ulong)(boottime * (TscHz / 1e9)) : TscAtPreviousBoot + ticks;
        }
        return new ClockSample(realtime, boottime, tsc);
    }

    /// <summary>luod's events only (what the catalog carries before any kernel log is merged).</summary>
    public UpdateTimeline DaemonTimeline(IEnumerable<(string Name, string? Client, long TrueNs)>? events = null)
    {
        var info = new KernelClockInfo("7.2.13", FrequencyKnown ? 2000.000e6 : null, FrequencyKnown ? TscFrequencySource.KernelRefinedCalibration : null, TscInvariant, "tsc");
        var timeline = new UpdateTimeline
        {
            UpdateId = "2026-11-22T04-12-07Z-7.3.4",
            PreviousRelease = "7.2.13",
            PreviousKernel = info,
            NextKernel = info with { Release = "7.3.4", TscHz = FrequencyKnown ? 2000.001e6 : null },
        };
        foreach (var (name, client, trueNs) in events ?? DaemonEvents)
            timeline = timeline.Record(TimelineEvents.Daemon(name, client, SampleAt(trueNs)));
        return timeline;
    }

    /// <summary>luod's events with the next kernel's recorded log and the previous kernel's pstore line merged.</summary>
    public UpdateTimeline FullTimeline()
    {
        var boots = KernelLogParser.ParseConsole(Samples.Read("console-7.2-to-7.3.log"));
        var timeline = KernelLogMerge.WithNextKernelLog(DaemonTimeline(), boots[1].Lines);
        // The recorded previous kernel ran for 44.18 s before it started the next one; its pstore console
        // here is the synthetic kernel's: the same lines up to "Starting new kernel" at the synthetic time.
        var pstore = boots[0].Lines.Where(l => l.Message != "kexec_core: Starting new kernel")
            .Append(new KernelLogLine(TrueShutdown, "kexec_core: Starting new kernel"));
        return KernelLogMerge.WithPreviousKernelLog(timeline, pstore);
    }
}
