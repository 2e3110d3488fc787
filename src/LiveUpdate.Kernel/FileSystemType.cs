// FileSystemType: what statfs(2) says a path lives on — lucriu keeps CRIU's images in RAM
// on their way into preserved memfds and warns when its work directory is on a disk instead.
using System.Runtime.InteropServices;
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Kernel.Interop;

namespace LiveUpdate.Kernel;

public static unsafe class FileSystemType
{
    /// <summary>TMPFS_MAGIC (linux/magic.h): tmpfs, /dev/shm, /run.</summary>
    public const long Tmpfs = 0x01021994;

    /// <summary>RAMFS_MAGIC (linux/magic.h): ramfs, and the initramfs's rootfs without tmpfs.</summary>
    public const long Ramfs = unchecked((long)0x858458f6);

    /// <summary>The f_type statfs reports for <paramref name="path"/> (a file system magic number of linux/magic.h).</summary>
    public static long Of(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        // struct statfs on x86-64 is 120 bytes; f_type is its first field (a long).
        long* buffer = stackalloc long[16];
        if (LibC.Statfs(path, buffer) != 0)
        {
            int errno = LibC.LastErrno;
            throw new LiveUpdateSystemException(KernelOperation.InspectFile, errno,
                $"statfs('{path}') failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
        }
        return buffer[0];
    }

    /// <summary>True when <paramref name="path"/> is on tmpfs or ramfs: its files are RAM, not disk.</summary>
    public static bool IsInMemory(string path) => Of(path) is Tmpfs or Ramfs;
}
