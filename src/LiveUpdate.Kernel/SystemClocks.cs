// SystemClocks: clock_gettime for the clocks live-update telemetry relies on, and the
// combined ClockSample (realtime, boottime, TSC) luod takes at each step of an update.
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Kernel.Interop;

namespace LiveUpdate.Kernel;

public static unsafe class SystemClocks
{
    /// <summary>CLOCK_REALTIME: ns since the Unix epoch. Crosses a kexec only to ±1 s (the next kernel reads the RTC).</summary>
    public static long RealtimeNanoseconds() => Read(LibC.CLOCK_REALTIME, "CLOCK_REALTIME");

    /// <summary>CLOCK_BOOTTIME: ns since this kernel booted, counting suspend. Restarts at 0 after a kexec.</summary>
    public static long BoottimeNanoseconds() => Read(LibC.CLOCK_BOOTTIME, "CLOCK_BOOTTIME");

    /// <summary>CLOCK_MONOTONIC: ns since boot, not counting suspend.</summary>
    public static long MonotonicNanoseconds() => Read(LibC.CLOCK_MONOTONIC, "CLOCK_MONOTONIC");

    /// <summary>CLOCK_MONOTONIC_RAW: like CLOCK_MONOTONIC but never slewed by NTP (the reference for TSC calibration).</summary>
    public static long MonotonicRawNanoseconds() => Read(LibC.CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW");

    /// <summary>
    /// Realtime, boottime and (where <see cref="TimestampCounter.IsAvailable"/>) the TSC, read back to back.
    /// The TSC is read between the two clock reads; all three lie within a few hundred ns of each other.
    /// </summary>
    public static ClockSample Sample()
    {
        long realtime = RealtimeNanoseconds();
        ulong? tsc = TimestampCounter.IsAvailable ? TimestampCounter.Read() : null;
        long boottime = BoottimeNanoseconds();
        return new ClockSample(realtime, boottime, tsc);
    }

    private static long Read(int clock, string name)
    {
        LibC.Timespec time;
        if (LibC.ClockGettime(clock, &time) != 0)
        {
            int errno = LibC.LastErrno;
            // No KernelOperation names clocks yet; InspectFile is the closest "read kernel state" operation.
            throw new LiveUpdateSystemException(KernelOperation.InspectFile, errno,
                $"clock_gettime({name}) failed (errno {errno}): the running kernel does not provide this clock. Live-update telemetry needs Linux 2.6.39 or later.");
        }
        return time.Seconds * 1_000_000_000L + time.Nanoseconds;
    }
}
