// CatalogTimeline: a live update's timeline as the catalog stores it — the handover ABI's
// own copy of Telemetry's UpdateTimeline (mapped by CatalogTimelineMapping, outside this
// namespace), so Telemetry and the Kernel library can evolve without changing the bytes.
// Every JSON name and enum spelling here is frozen at format version 1 (HandoverAbi.cs).
using System.Text.Json.Serialization;

namespace LiveUpdate.Daemon.Abi;

public enum CatalogUpdatePhase
{
    [JsonStringEnumMemberName("staged")] Staged,
    [JsonStringEnumMemberName("prepare")] Prepare,
    [JsonStringEnumMemberName("freeze")] Freeze,
    [JsonStringEnumMemberName("reboot")] Reboot,
    [JsonStringEnumMemberName("kernelBoot")] KernelBoot,
    [JsonStringEnumMemberName("startup")] Startup,
    [JsonStringEnumMemberName("restore")] Restore,
    [JsonStringEnumMemberName("resume")] Resume,
    [JsonStringEnumMemberName("finish")] Finish,
}

public enum CatalogKernelSide
{
    [JsonStringEnumMemberName("previous")] Previous,
    [JsonStringEnumMemberName("next")] Next,
}

public enum CatalogEventSource
{
    [JsonStringEnumMemberName("daemon")] Daemon,
    [JsonStringEnumMemberName("kernelLog")] KernelLog,
    [JsonStringEnumMemberName("pstore")] Pstore,
}

public enum CatalogClockBasis
{
    [JsonStringEnumMemberName("tsc")] Tsc,
    [JsonStringEnumMemberName("realtimeApproximate")] RealtimeApproximate,
}

public enum CatalogTscFrequencySource
{
    [JsonStringEnumMemberName("kernelRefinedCalibration")] KernelRefinedCalibration,
    [JsonStringEnumMemberName("kernelDetected")] KernelDetected,
    [JsonStringEnumMemberName("measured")] Measured,
    [JsonStringEnumMemberName("cpuInfo")] CpuInfo,
}

/// <summary>One instant on three clocks: CLOCK_REALTIME, CLOCK_BOOTTIME, and the TSC when readable.</summary>
public sealed record CatalogClockSample(
    [property: JsonPropertyName("realtimeNs")] long RealtimeNs,
    [property: JsonPropertyName("boottimeNs")] long BoottimeNs,
    [property: JsonPropertyName("tsc")] ulong? Tsc);

/// <summary>What one kernel said about its clocks.</summary>
public sealed record CatalogClockInfo(
    [property: JsonPropertyName("release")] string? Release,
    [property: JsonPropertyName("tscHz")] double? TscHz,
    [property: JsonPropertyName("tscFrequencySource")] CatalogTscFrequencySource? TscFrequencySource,
    [property: JsonPropertyName("tscInvariant")] bool TscInvariant,
    [property: JsonPropertyName("clocksource")] string? Clocksource);

/// <summary>One moment of an update: daemon events carry a sample, kernel-log events the printk time.</summary>
public sealed record CatalogTimelineEvent(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("phase")] CatalogUpdatePhase Phase,
    [property: JsonPropertyName("kernel")] CatalogKernelSide Kernel,
    [property: JsonPropertyName("client")] string? Client,
    [property: JsonPropertyName("sample")] CatalogClockSample? Sample,
    [property: JsonPropertyName("kernelLogNs")] long? KernelLogNs,
    [property: JsonPropertyName("source")] CatalogEventSource Source,
    [property: JsonPropertyName("detail")] string? Detail);

/// <param name="ClockBasis">What the writer computed the cross-kernel span's basis to be; written for readers of the catalog, recomputed by luod.</param>
public sealed record CatalogTimeline(
    [property: JsonPropertyName("updateId")] string UpdateId,
    [property: JsonPropertyName("previousRelease")] string? PreviousRelease,
    [property: JsonPropertyName("nextRelease")] string? NextRelease,
    [property: JsonPropertyName("kexecCount")] int KexecCount,
    [property: JsonPropertyName("previousKernel")] CatalogClockInfo? PreviousKernel,
    [property: JsonPropertyName("nextKernel")] CatalogClockInfo? NextKernel,
    [property: JsonPropertyName("events")] IReadOnlyList<CatalogTimelineEvent> Events,
    [property: JsonPropertyName("clockBasis")] CatalogClockBasis ClockBasis);
