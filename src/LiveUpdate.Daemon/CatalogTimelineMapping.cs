// CatalogTimelineMapping: the one place where Telemetry's UpdateTimeline (and the Kernel
// library's clock types under it) meet the handover ABI's CatalogTimeline. Every enum is
// mapped member by member, never by number, so a renamed or reordered Telemetry enum fails
// here at build or test time instead of silently changing the catalog's bytes.
using LiveUpdate.Daemon.Abi;
using LiveUpdate.Kernel;
using LiveUpdate.Telemetry;

namespace LiveUpdate.Daemon;

public static class CatalogTimelineMapping
{
    public static CatalogTimeline ToCatalog(this UpdateTimeline timeline) => new(
        timeline.UpdateId, timeline.PreviousRelease, timeline.NextRelease, timeline.KexecCount,
        timeline.PreviousKernel?.ToCatalog(), timeline.NextKernel?.ToCatalog(),
        [.. timeline.Events.Select(ToCatalog)],
        timeline.ClockBasis switch
        {
            ClockBasis.Tsc => CatalogClockBasis.Tsc,
            ClockBasis.RealtimeApproximate => CatalogClockBasis.RealtimeApproximate,
            var other => throw Unmapped(other),
        });

    /// <summary>The catalog's ClockBasis is not read back: UpdateTimeline computes it from the events.</summary>
    public static UpdateTimeline ToTelemetry(this CatalogTimeline timeline) => new()
    {
        UpdateId = timeline.UpdateId,
        PreviousRelease = timeline.PreviousRelease,
        NextRelease = timeline.NextRelease,
        KexecCount = timeline.KexecCount,
        PreviousKernel = timeline.PreviousKernel?.ToTelemetry(),
        NextKernel = timeline.NextKernel?.ToTelemetry(),
        Events = [.. (timeline.Events ?? []).Select(ToTelemetry)],
    };

    private static CatalogTimelineEvent ToCatalog(TimelineEvent e) => new(
        e.Name,
        e.Phase switch
        {
            UpdatePhase.Staged => CatalogUpdatePhase.Staged,
            UpdatePhase.Prepare => CatalogUpdatePhase.Prepare,
            UpdatePhase.Freeze => CatalogUpdatePhase.Freeze,
            UpdatePhase.Reboot => CatalogUpdatePhase.Reboot,
            UpdatePhase.KernelBoot => CatalogUpdatePhase.KernelBoot,
            UpdatePhase.Startup => CatalogUpdatePhase.Startup,
            UpdatePhase.Restore => CatalogUpdatePhase.Restore,
            UpdatePhase.Resume => CatalogUpdatePhase.Resume,
            UpdatePhase.Finish => CatalogUpdatePhase.Finish,
            var other => throw Unmapped(other),
        },
        e.Kernel switch
        {
            KernelSide.Previous => CatalogKernelSide.Previous,
            KernelSide.Next => CatalogKernelSide.Next,
            var other => throw Unmapped(other),
        },
        e.Client,
        e.Sample is { } s ? new CatalogClockSample(s.RealtimeNs, s.BoottimeNs, s.Tsc) : null,
        e.KernelLogNs,
        e.Source switch
        {
            EventSource.Daemon => CatalogEventSource.Daemon,
            EventSource.KernelLog => CatalogEventSource.KernelLog,
            EventSource.Pstore => CatalogEventSource.Pstore,
            var other => throw Unmapped(other),
        },
        e.Detail);

    private static TimelineEvent ToTelemetry(CatalogTimelineEvent e) => new(
        e.Name,
        e.Phase switch
        {
            CatalogUpdatePhase.Staged => UpdatePhase.Staged,
            CatalogUpdatePhase.Prepare => UpdatePhase.Prepare,
            CatalogUpdatePhase.Freeze => UpdatePhase.Freeze,
            CatalogUpdatePhase.Reboot => UpdatePhase.Reboot,
            CatalogUpdatePhase.KernelBoot => UpdatePhase.KernelBoot,
            CatalogUpdatePhase.Startup => UpdatePhase.Startup,
            CatalogUpdatePhase.Restore => UpdatePhase.Restore,
            CatalogUpdatePhase.Resume => UpdatePhase.Resume,
            CatalogUpdatePhase.Finish => UpdatePhase.Finish,
            var other => throw Unmapped(other),
        },
        e.Kernel switch
        {
            CatalogKernelSide.Previous => KernelSide.Previous,
            CatalogKernelSide.Next => KernelSide.Next,
            var other => throw Unmapped(other),
        },
        e.Client,
        e.Sample is { } s ? new ClockSample(s.RealtimeNs, s.BoottimeNs, s.Tsc) : null,
        e.KernelLogNs,
        e.Source switch
        {
            CatalogEventSource.Daemon => EventSource.Daemon,
            CatalogEventSource.KernelLog => EventSource.KernelLog,
            CatalogEventSource.Pstore => EventSource.Pstore,
            var other => throw Unmapped(other),
        },
        e.Detail);

    private static CatalogClockInfo ToCatalog(this KernelClockInfo info) => new(
        info.Release, info.TscHz,
        info.TscFrequencySource switch
        {
            null => null,
            TscFrequencySource.KernelRefinedCalibration => CatalogTscFrequencySource.KernelRefinedCalibration,
            TscFrequencySource.KernelDetected => CatalogTscFrequencySource.KernelDetected,
            TscFrequencySource.Measured => CatalogTscFrequencySource.Measured,
            TscFrequencySource.CpuInfo => CatalogTscFrequencySource.CpuInfo,
            var other => throw Unmapped(other),
        },
        info.TscInvariant, info.Clocksource);

    private static KernelClockInfo ToTelemetry(this CatalogClockInfo info) => new(
        info.Release, info.TscHz,
        info.TscFrequencySource switch
        {
            null => null,
            CatalogTscFrequencySource.KernelRefinedCalibration => TscFrequencySource.KernelRefinedCalibration,
            CatalogTscFrequencySource.KernelDetected => TscFrequencySource.KernelDetected,
            CatalogTscFrequencySource.Measured => TscFrequencySource.Measured,
            CatalogTscFrequencySource.CpuInfo => TscFrequencySource.CpuInfo,
            var other => throw Unmapped(other),
        },
        info.TscInvariant, info.Clocksource);

    private static ArgumentOutOfRangeException Unmapped<T>(T value) =>
        new(nameof(value), value, $"{typeof(T).Name}.{value} has no catalog spelling: add it to the handover ABI (a new format version, HandoverAbi.cs)");
}
