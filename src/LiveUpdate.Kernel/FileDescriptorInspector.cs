// FileDescriptorInspector: tells what kind of file a descriptor (or a path) refers to.
// A descriptor is a memfd in the sense live update cares about when the kernel's memfd
// handler would take it: a regular file on the shmem filesystem (fstatfs f_type ==
// TMPFS_MAGIC) with no links (fstat st_nlink == 0). That is the handler's own test
// (memfd_luo_can_preserve), needs no /proc, and cannot be fooled by a file named "memfd:".
using System.Runtime.InteropServices;
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Kernel.Interop;

namespace LiveUpdate.Kernel;

public static unsafe class FileDescriptorInspector
{
    /// <summary>The kind of the open file behind <paramref name="fd"/> (any SafeHandle owning a descriptor: MemFd, ReceivedFileDescriptor, Socket.SafeHandle, ...).</summary>
    public static FileDescriptorKind Describe(SafeHandle fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        LibC.StatBuffer stat;
        if (LibC.Fstat(fd, &stat) < 0)
            throw ErrnoTranslator.Translate(KernelOperation.InspectFile, LibC.LastErrno, "fstat of the file descriptor");
        var kind = FromMode(stat.Mode);
        if (kind != FileDescriptorKind.RegularFile || stat.LinkCount != 0)
            return kind;
        LibC.StatFsBuffer statfs;
        if (LibC.Fstatfs(fd, &statfs) < 0)
            throw ErrnoTranslator.Translate(KernelOperation.InspectFile, LibC.LastErrno, "fstatfs of the file descriptor");
        return statfs.Type == LibC.TMPFS_MAGIC ? FileDescriptorKind.Memfd : FileDescriptorKind.RegularFile;
    }

    /// <summary>The size in bytes of the open file behind <paramref name="fd"/> (st_size).</summary>
    public static long SizeOf(SafeHandle fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        LibC.StatBuffer stat;
        if (LibC.Fstat(fd, &stat) < 0)
            throw ErrnoTranslator.Translate(KernelOperation.InspectFile, LibC.LastErrno, "fstat of the file descriptor");
        return stat.Size;
    }

    /// <summary>The kind of the directory entry at <paramref name="path"/> (symbolic links are not followed; they are <see cref="FileDescriptorKind.Other"/>), or null when nothing is there.</summary>
    public static FileDescriptorKind? DescribePath(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        LibC.StatBuffer stat;
        if (LibC.Lstat(path, &stat) < 0)
        {
            int errno = LibC.LastErrno;
            if (errno is Errno.ENOENT)
                return null;
            throw ErrnoTranslator.Translate(KernelOperation.InspectFile, errno, $"lstat of '{path}'");
        }
        return FromMode(stat.Mode);
    }

    /// <summary>
    /// Throws <see cref="UnsupportedFileTypeException"/> unless <paramref name="fd"/> is a memfd,
    /// naming <paramref name="subject"/> and what it is instead.
    /// </summary>
    public static void EnsureMemfd(SafeHandle fd, string subject)
    {
        var kind = Describe(fd);
        if (kind != FileDescriptorKind.Memfd)
            throw new UnsupportedFileTypeException(0,
                $"{subject} is {Article(kind)}, not a memfd. Linux 7.2/7.3 can carry only memfds (memfd_create, not hugetlb, not linked into a filesystem) across a live update; put the data in a memfd and pass that.");
    }

    private static FileDescriptorKind FromMode(uint mode) => (mode & LibC.S_IFMT) switch
    {
        LibC.S_IFREG => FileDescriptorKind.RegularFile,
        LibC.S_IFDIR => FileDescriptorKind.Directory,
        LibC.S_IFIFO => FileDescriptorKind.Pipe,
        LibC.S_IFSOCK => FileDescriptorKind.Socket,
        LibC.S_IFCHR => FileDescriptorKind.CharacterDevice,
        _ => FileDescriptorKind.Other,
    };

    private static string Article(FileDescriptorKind kind) => kind switch
    {
        FileDescriptorKind.RegularFile => "a regular file (on a filesystem, or a linked or hugetlbfs file)",
        FileDescriptorKind.Directory => "a directory",
        FileDescriptorKind.Pipe => "a pipe",
        FileDescriptorKind.Socket => "a socket",
        FileDescriptorKind.CharacterDevice => "a character device",
        _ => "a special file (not a regular file, pipe, socket or device)",
    };
}
