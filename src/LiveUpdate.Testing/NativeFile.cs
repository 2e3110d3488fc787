// NativeFile: the few libc calls the fake backend needs that LiveUpdate.Kernel does not
// expose — fstat for a file's identity (st_dev, st_ino), whether any descriptor of the
// process still refers to a file (as the kernel releases a file with its last fd), dup,
// close, and pipe for tests that need a descriptor that is not a memfd.
using System.Runtime.InteropServices;

namespace LiveUpdate.Testing;

/// <summary>
/// The few libc calls the fake device needs beyond LiveUpdate.Kernel; public only for
/// <see cref="Pipe"/>, a descriptor that is not a memfd (what luod must refuse to preserve).
/// </summary>
public static unsafe partial class NativeFile
{
    private const int F_DUPFD_CLOEXEC = 1030;
    private const int O_CLOEXEC = 0x80000;

    /// <summary>x86_64 struct stat: st_dev at 0, st_ino at 8.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 144)]
    private struct StatBuffer
    {
        [FieldOffset(0)] public ulong Device;
        [FieldOffset(8)] public ulong Inode;
    }

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static partial int Fstat(SafeHandle fd, StatBuffer* buffer);

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Stat(string path, StatBuffer* buffer);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(SafeHandle fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    private static partial int Pipe2(int* fds, int flags);

    /// <summary>The open file's identity: two descriptors with the same identity are the same file.</summary>
    internal static (ulong Device, ulong Inode) Identity(SafeHandle fd)
    {
        StatBuffer stat;
        if (Fstat(fd, &stat) < 0) throw new IOException($"fstat failed: errno {Marshal.GetLastPInvokeError()}");
        return (stat.Device, stat.Inode);
    }

    /// <summary>True when some descriptor of this process still refers to the file <paramref name="identity"/>.</summary>
    internal static bool IsOpenInProcess((ulong Device, ulong Inode) identity)
    {
        foreach (string link in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            StatBuffer stat;
            if (Stat(link, &stat) == 0 && stat.Device == identity.Device && stat.Inode == identity.Inode) return true;
        }
        return false;
    }

    internal static int Duplicate(SafeHandle fd)
    {
        int copy = Fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (copy < 0) throw new IOException($"fcntl(F_DUPFD_CLOEXEC) failed: errno {Marshal.GetLastPInvokeError()}");
        return copy;
    }

    /// <summary>A pipe (pipe2 with O_CLOEXEC): its read and write ends, each owned by the caller.</summary>
    public static (HeldFile Read, HeldFile Write) Pipe()
    {
        int* fds = stackalloc int[2];
        if (Pipe2(fds, O_CLOEXEC) < 0) throw new IOException($"pipe2 failed: errno {Marshal.GetLastPInvokeError()}");
        return (new HeldFile(fds[0]), new HeldFile(fds[1]));
    }
}
