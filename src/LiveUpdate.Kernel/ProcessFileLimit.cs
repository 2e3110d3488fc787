// ProcessFileLimit: reads and sets another process's open-file limit (RLIMIT_NOFILE) with
// prlimit(2). luod holds one fd per session it keeps (its session fd), so its RLIMIT_NOFILE, not
// the kernel's own session count (hundreds of thousands), is the first limit a growing luod meets;
// the fault matrix lowers it on a running luod to reach that limit in seconds.
using System.Runtime.InteropServices;

namespace LiveUpdate.Kernel;

public static partial class ProcessFileLimit
{
    private const int RLIMIT_NOFILE = 7;

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", EntryPoint = "prlimit", SetLastError = true)]
    private static unsafe partial int Prlimit(int pid, int resource, RLimit* newLimit, RLimit* oldLimit);

    /// <summary>The (soft, hard) RLIMIT_NOFILE of process <paramref name="pid"/>.</summary>
    public static unsafe (ulong Soft, ulong Hard) Get(int pid)
    {
        RLimit old;
        if (Prlimit(pid, RLIMIT_NOFILE, null, &old) < 0) throw Failed(pid, "read");
        return (old.Current, old.Maximum);
    }

    /// <summary>Sets the soft RLIMIT_NOFILE of process <paramref name="pid"/> (root, or the same user), keeping its hard limit.</summary>
    public static unsafe void SetSoft(int pid, ulong soft)
    {
        var (_, hard) = Get(pid);
        var limit = new RLimit { Current = soft, Maximum = hard };
        if (Prlimit(pid, RLIMIT_NOFILE, &limit, null) < 0) throw Failed(pid, $"set to {soft}");
    }

    private static IOException Failed(int pid, string what)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new IOException($"RLIMIT_NOFILE of process {pid} could not be {what}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}); only root or the process's own user may change it.");
    }
}
