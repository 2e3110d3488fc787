// LibC.Time: the clock and code-page system calls blackout telemetry needs —
// clock_gettime for CLOCK_REALTIME/BOOTTIME/MONOTONIC_RAW, and an anonymous mapping that
// is written, then made executable (mprotect), to hold the few bytes of RDTSC.
using System.Runtime.InteropServices;

namespace LiveUpdate.Kernel.Interop;

internal static unsafe partial class LibC
{
    public const int CLOCK_REALTIME = 0;
    public const int CLOCK_MONOTONIC = 1;
    public const int CLOCK_MONOTONIC_RAW = 4;
    public const int CLOCK_BOOTTIME = 7;

    public const int PROT_EXEC = 4;
    public const int MAP_PRIVATE = 2;
    public const int MAP_ANONYMOUS = 0x20;

    /// <summary>x86_64 <c>struct timespec</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport(Lib, EntryPoint = "clock_gettime", SetLastError = true)]
    public static partial int ClockGettime(int clock, Timespec* time);

    /// <summary>mmap without a file (MAP_ANONYMOUS: fd is -1).</summary>
    [LibraryImport(Lib, EntryPoint = "mmap", SetLastError = true)]
    public static partial nint MmapAnonymous(nint address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport(Lib, EntryPoint = "mprotect", SetLastError = true)]
    public static partial int Mprotect(nint address, nuint length, int protection);
}
