// ClockSample: one instant read on three clocks at once — CLOCK_REALTIME (wall time, shared
// by both kernels but only to the RTC's whole second after a kexec), CLOCK_BOOTTIME
// (exact within one kernel, restarts at 0 in the next) and the x86 TSC (not reset by kexec,
// so exact across the two kernels when its frequency is known). Telemetry stores these.
namespace LiveUpdate.Kernel;

/// <param name="RealtimeNs">CLOCK_REALTIME in ns since the Unix epoch.</param>
/// <param name="BoottimeNs">CLOCK_BOOTTIME in ns since this kernel started.</param>
/// <param name="Tsc">The time stamp counter in ticks, or null where it cannot be read (not x86-64, or not trustworthy).</param>
public readonly record struct ClockSample(long RealtimeNs, long BoottimeNs, ulong? Tsc)
{
    /// <summary>Reads the three clocks now (the TSC between the two clock reads, so it lies within their span).</summary>
    public static ClockSample Capture() => SystemClocks.Sample();

    /// <summary>The realtime reading as a wall-clock instant (100 ns resolution).</summary>
    public DateTimeOffset ToDateTimeOffset() => DateTimeOffset.UnixEpoch.AddTicks(RealtimeNs / 100);

    public override string ToString() =>
        $"realtime {ToDateTimeOffset():O}, boottime {BoottimeNs / 1e9:F6} s, tsc {(Tsc is { } t ? t.ToString() : "n/a")}";
}
