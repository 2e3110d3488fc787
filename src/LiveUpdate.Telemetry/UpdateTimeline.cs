// UpdateTimeline: what luod records during one live update — clock samples taken at each
// step in the kernel that staged the update and in the kernel that took it over, plus the
// kernel-log lines that survive (the next kernel's /dev/kmsg, the previous kernel's pstore
// console). It crosses the kexec in luod's catalog as the handover ABI's own copy
// (LiveUpdate.Daemon.Abi.CatalogTimeline, so a change here cannot change the catalog's bytes)
// and is sent over Varlink; property and enum names are part of that JSON and must stay stable.
using System.Text.Json.Serialization;
using LiveUpdate.Kernel;

namespace LiveUpdate.Telemetry;

/// <summary>How times in the next kernel were placed relative to the previous kernel's.</summary>
public enum ClockBasis
{
    /// <summary>TSC samples on both sides and a known frequency: the cross-kernel span is exact (to the frequency's ppm).</summary>
    [JsonStringEnumMemberName("tsc")] Tsc,
    /// <summary>CLOCK_REALTIME difference: the next kernel's clock came from the RTC, so the cross-kernel span is good to ±1 s.</summary>
    [JsonStringEnumMemberName("realtimeApproximate")] RealtimeApproximate,
}

/// <summary>The phases of a live update, in the order they happen.</summary>
public enum UpdatePhase
{
    /// <summary>kexec_file_load done; the next kernel is staged, nothing is paused yet.</summary>
    [JsonStringEnumMemberName("staged")] Staged,
    /// <summary>Clients were told to prepare; each quiesces and acknowledges "paused".</summary>
    [JsonStringEnumMemberName("prepare")] Prepare,
    /// <summary>Every client paused; luod writes its catalog and the sessions are frozen.</summary>
    [JsonStringEnumMemberName("freeze")] Freeze,
    /// <summary>reboot(LINUX_REBOOT_CMD_KEXEC) called: the previous kernel shuts down and jumps to the next one.</summary>
    [JsonStringEnumMemberName("reboot")] Reboot,
    /// <summary>The next kernel boots from time 0 (KHO/LUO restore the handed-over state) until it runs /init.</summary>
    [JsonStringEnumMemberName("kernelBoot")] KernelBoot,
    /// <summary>/init runs until luod starts.</summary>
    [JsonStringEnumMemberName("startup")] Startup,
    /// <summary>luod restores its catalog and retrieves the preserved sessions.</summary>
    [JsonStringEnumMemberName("restore")] Restore,
    /// <summary>Clients claim their sessions and acknowledge "resumed".</summary>
    [JsonStringEnumMemberName("resume")] Resume,
    /// <summary>FINISH: the preserved sessions are released; the update is complete.</summary>
    [JsonStringEnumMemberName("finish")] Finish,
}

/// <summary>Which of the two kernels an event happened in.</summary>
public enum KernelSide
{
    /// <summary>The kernel that staged the update and was replaced.</summary>
    [JsonStringEnumMemberName("previous")] Previous,
    /// <summary>The kernel that booted by kexec and took the sessions over.</summary>
    [JsonStringEnumMemberName("next")] Next,
}

/// <summary>Where an event's time came from.</summary>
public enum EventSource
{
    /// <summary>luod took a <see cref="ClockSample"/>.</summary>
    [JsonStringEnumMemberName("daemon")] Daemon,
    /// <summary>A /dev/kmsg record (µs since that kernel booted).</summary>
    [JsonStringEnumMemberName("kernelLog")] KernelLog,
    /// <summary>A line of the previous kernel's console saved by pstore/ramoops.</summary>
    [JsonStringEnumMemberName("pstore")] Pstore,
}

/// <summary>
/// One moment of the update. Daemon events carry a <see cref="Sample"/>; kernel-log events carry
/// <see cref="KernelLogNs"/>, the printk time of their kernel (ns since it booted, ≈ CLOCK_BOOTTIME).
/// </summary>
public sealed record TimelineEvent(
    string Name,
    UpdatePhase Phase,
    KernelSide Kernel,
    string? Client = null,
    ClockSample? Sample = null,
    long? KernelLogNs = null,
    EventSource Source = EventSource.Daemon,
    string? Detail = null);

/// <summary>What one kernel said about its clocks (from <see cref="TimestampCounterStatus"/> or its log).</summary>
public sealed record KernelClockInfo(
    string? Release,
    double? TscHz,
    TscFrequencySource? TscFrequencySource,
    bool TscInvariant,
    string? Clocksource)
{
    /// <summary>This kernel's TSC status, as luod sees it at startup.</summary>
    public static KernelClockInfo From(string? release, TimestampCounterStatus status) =>
        new(release, status.Frequency?.Hz, status.Frequency?.Source, status.Readable && status.Invariant, status.Clocksource);
}

/// <summary>The record of one live update. Append with <see cref="Record"/>; compute with <see cref="UpdateReport.From"/>.</summary>
public sealed record UpdateTimeline
{
    public required string UpdateId { get; init; }
    public string? PreviousRelease { get; init; }
    public string? NextRelease { get; init; }
    /// <summary>The KHO kexec count of the next kernel ("KHO: exec from: R (count N)"), 0 until known.</summary>
    public int KexecCount { get; init; }
    public KernelClockInfo? PreviousKernel { get; init; }
    public KernelClockInfo? NextKernel { get; init; }
    /// <summary>
    /// Events in the order they were recorded (never re-sorted: disorder is reported as an anomaly). A moment a
    /// participant reported is placed among luod's samples where it falls (<see cref="ReportedMoment.Record"/>).
    /// </summary>
    public IReadOnlyList<TimelineEvent> Events { get; init; } = [];

    /// <summary>The basis the cross-kernel span resolves to with the events recorded so far (computed, not stored input).</summary>
    public ClockBasis ClockBasis => ClockMapping.Resolve(this).Basis;

    /// <summary>A copy with <paramref name="timelineEvent"/> appended.</summary>
    public UpdateTimeline Record(TimelineEvent timelineEvent) => this with { Events = [.. Events, timelineEvent] };

    /// <summary>A copy with a daemon event appended, sampled now unless <paramref name="sample"/> is given.</summary>
    public UpdateTimeline Record(string name, UpdatePhase phase, KernelSide kernel, string? client = null, ClockSample? sample = null, string? detail = null) =>
        Record(new TimelineEvent(name, phase, kernel, client, sample ?? ClockSample.Capture(), null, EventSource.Daemon, detail));
}
