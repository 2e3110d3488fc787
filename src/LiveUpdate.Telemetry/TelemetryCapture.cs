// TelemetryCapture: the few calls luod makes to fill a timeline on a real machine — begin it
// in the previous kernel (with that kernel's TSC status), continue it in the next kernel
// (first sample first, then that kernel's TSC status, its /dev/kmsg and the previous
// kernel's pstore console). Everything else is pure and lives in UpdateTimeline/UpdateReport.
using LiveUpdate.Kernel;

namespace LiveUpdate.Telemetry;

public static class TelemetryCapture
{
    public const string OsReleasePath = "/proc/sys/kernel/osrelease";

    /// <summary>The running kernel's release (uname -r), or null.</summary>
    public static string? RunningRelease()
    {
        try { return File.ReadAllText(OsReleasePath).Trim(); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>
    /// Starts the timeline of an update in the previous kernel, right after kexec_file_load succeeded:
    /// records "staged" and this kernel's TSC status (read from /dev/kmsg; measured for 50 ms if the log no longer has it).
    /// </summary>
    public static UpdateTimeline Begin(string updateId, string? nextRelease = null)
    {
        ClockSample staged = ClockSample.Capture();
        string? release = RunningRelease();
        return new UpdateTimeline
        {
            UpdateId = updateId,
            PreviousRelease = release,
            NextRelease = nextRelease,
            PreviousKernel = KernelClockInfo.From(release, TimestampCounter.Describe()),
        }.Record(TimelineEvents.Daemon(TimelineEvents.Staged, sample: staged));
    }

    /// <summary>
    /// Continues a timeline restored from the catalog in the next kernel: records "luod.start" (sampled before
    /// anything else), this kernel's TSC status, its /dev/kmsg milestones and, when pstore kept it, the previous
    /// kernel's shutdown lines and its "Starting new kernel".
    /// </summary>
    public static UpdateTimeline Continue(UpdateTimeline restored, string pstoreDirectory = "/sys/fs/pstore")
    {
        ClockSample started = ClockSample.Capture();
        var log = KernelLog.ReadAll();
        string? release = RunningRelease();
        var timeline = restored.Record(TimelineEvents.Daemon(TimelineEvents.DaemonStart, sample: started)) with
        {
            NextKernel = KernelClockInfo.From(release, TimestampCounter.Describe(log)),
            NextRelease = restored.NextRelease ?? release,
        };
        timeline = KernelLogMerge.WithNextKernelLog(timeline, KernelLogParser.FromRecords(log));
        if (KernelLogParser.ReadPstore(pstoreDirectory) is { } previousKernel)
            timeline = KernelLogMerge.WithPreviousKernelLog(timeline, previousKernel);
        return timeline;
    }
}
