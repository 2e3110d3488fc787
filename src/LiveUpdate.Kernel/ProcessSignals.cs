// ProcessSignals: a signal sent to processes this program did not start — lucriu continues a
// program CRIU left stopped (--leave-stopped) when a live update is cancelled after the dump.
// kill(2) on the pid reaches the whole thread group, so one call continues every thread.
using System.Runtime.InteropServices;
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Kernel.Interop;

namespace LiveUpdate.Kernel;

public static class ProcessSignals
{
    private const int ESRCH = 3;
    private const int SIGCONT = 18;

    /// <summary>Sends SIGCONT to <paramref name="pid"/>; false when there is no such process (it exited).</summary>
    public static bool Continue(int pid) => Send(pid, SIGCONT, "SIGCONT");

    private static bool Send(int pid, int signal, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pid);
        if (LibC.Kill(pid, signal) == 0) return true;
        int errno = LibC.LastErrno;
        if (errno == ESRCH) return false;
        throw new LiveUpdateSystemException(KernelOperation.InspectFile, errno,
            $"cannot send {name} to pid {pid}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
    }
}
