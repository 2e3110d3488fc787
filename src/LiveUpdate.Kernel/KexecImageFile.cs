// KexecImageFile: opens the kernel image and the initrd a kexec is asked to load, and says
// exactly what is wrong with a path before kexec_file_load turns it into a bare errno (or
// .NET into "Could not find a part of the path"). The caller is often luod, whose working
// directory, user and mount namespace are not the client's, so the path must be absolute and
// every refusal names the file, its role and the fix. The limits are the kernel's own:
// kexec_file_load reads each file whole into kernel memory (kernel_read_file, regular files
// only, at most KEXEC_FILE_SIZE_MAX), so a file larger than the memory available cannot be staged.
using Microsoft.Win32.SafeHandles;
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Kernel.Interop;

namespace LiveUpdate.Kernel;

/// <summary>What a file is for in a kexec load.</summary>
public enum KexecFileRole
{
    /// <summary>The next kernel's bzImage.</summary>
    Kernel,

    /// <summary>The next kernel's initramfs.</summary>
    Initrd,
}

public static unsafe class KexecImageFile
{
    private const int HeaderMagicOffset = 0x202;
    private const uint HdrS = 0x53726448; // "HdrS", the x86 boot protocol's setup header magic

    /// <summary>
    /// Checks both files of a load without loading anything: what luod runs before it asks a
    /// participant to pause, so a bad path never costs a blackout.
    /// </summary>
    public static void Check(string kernel, string? initrd, string meminfoPath = "/proc/meminfo")
    {
        using (Open(kernel, KexecFileRole.Kernel, meminfoPath)) { }
        if (initrd is not null)
            using (Open(initrd, KexecFileRole.Initrd, meminfoPath)) { }
    }

    /// <summary>
    /// Opens <paramref name="path"/> for kexec_file_load, or throws a <see cref="KexecLoadException"/>
    /// (operation KexecLoad, the errno the kernel would have given) naming the file and the fix.
    /// </summary>
    public static SafeFileHandle Open(string path, KexecFileRole role, string meminfoPath = "/proc/meminfo")
    {
        string what = role == KexecFileRole.Kernel ? "kernel image" : "initrd";
        string fix = role == KexecFileRole.Kernel
            ? "give the absolute path of the next kernel's bzImage (e.g. /boot/vmlinuz-<release>)"
            : "give the absolute path of the next kernel's initramfs (e.g. /boot/initrd.img-<release>), or none";
        if (string.IsNullOrEmpty(path))
            throw Refused(Errno.ENOENT, $"The {what} path is empty; {fix}.");
        if (path.Contains('\0'))
            throw Refused(Errno.EINVAL, $"The {what} path contains a NUL byte; {fix}.");
        if (!Path.IsPathRooted(path))
            throw Refused(Errno.EINVAL, $"The {what} path '{path}' is relative, and luod's working directory is not yours; {fix}.");

        int fd = LibC.Open(path, LibC.O_RDONLY | LibC.O_CLOEXEC | LibC.O_NONBLOCK);
        if (fd < 0)
        {
            int errno = LibC.LastErrno;
            throw Refused(errno, errno switch
            {
                Errno.ENOENT => $"The {what} {path} does not exist (it, or a directory above it, is missing); {fix}.",
                Errno.ENOTDIR => $"The {what} path {path} runs through something that is not a directory; {fix}.",
                Errno.EACCES or Errno.EPERM => $"The {what} {path} cannot be read by luod (permission denied); make it readable by root, or check the mount's and LSM's restrictions.",
                Errno.ELOOP => $"The {what} path {path} has too many levels of symbolic links; {fix}.",
                Errno.ENAMETOOLONG => $"The {what} path is longer than the kernel allows; {fix}.",
                _ => $"The {what} {path} cannot be opened: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).",
            });
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            LibC.StatBuffer stat;
            if (LibC.Fstat(handle, &stat) < 0)
                throw Refused(LibC.LastErrno, $"The {what} {path} cannot be examined (fstat failed).");
            uint type = stat.Mode & LibC.S_IFMT;
            if (type == LibC.S_IFDIR)
                throw Refused(Errno.EISDIR, $"The {what} {path} is a directory; {fix}.");
            if (type != LibC.S_IFREG)
                throw Refused(Errno.EINVAL, $"The {what} {path} is not a regular file ({KindOf(type)}); kexec_file_load reads regular files only. Copy it to a file first.");
            if (stat.Size == 0)
                throw Refused(role == KexecFileRole.Kernel ? Errno.ENOEXEC : Errno.EINVAL, $"The {what} {path} is empty; {fix}.");
            if (stat.Size > MaximumFileBytes)
                throw Refused(Errno.EFBIG, $"The {what} {path} is {Mib(stat.Size)}, more than the {Mib(MaximumFileBytes)} kexec_file_load reads; use a smaller {what}.");
            if (MemoryAvailableBytes(meminfoPath) is { } available && stat.Size > available)
                throw Refused(Errno.ENOMEM, $"The {what} {path} is {Mib(stat.Size)}, more than the {Mib(available)} of memory available (MemAvailable), and kexec_file_load must read it whole into memory; free memory or use a smaller {what}.");
            if (role == KexecFileRole.Kernel)
                CheckBootHeader(handle, path);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>KEXEC_FILE_SIZE_MAX of kernel/kexec_file.c (4 GiB on 64-bit since Linux 6.x): beyond it kernel_read_file answers EFBIG.</summary>
    public const long MaximumFileBytes = 4L << 30;

    private static void CheckBootHeader(SafeFileHandle handle, string path)
    {
        uint magic = 0;
        nint read = LibC.Pread(handle, (byte*)&magic, sizeof(uint), HeaderMagicOffset);
        if (read != sizeof(uint) || magic != HdrS)
            throw Refused(Errno.ENOEXEC,
                $"The kernel image {path} is not an x86 bzImage (no \"HdrS\" setup header at 0x202): pass the vmlinuz/bzImage file, not vmlinux, an initrd or a compressed archive.");
    }

    private static long? MemoryAvailableBytes(string meminfoPath)
    {
        try
        {
            foreach (string line in File.ReadLines(meminfoPath))
            {
                if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
                string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return fields.Length >= 2 && long.TryParse(fields[1], out long kib) ? kib * 1024 : null;
            }
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException) { }
        return null; // unknown: the kernel's own ENOMEM still answers
    }

    private static string KindOf(uint type) => type switch
    {
        LibC.S_IFIFO => "a FIFO",
        LibC.S_IFCHR => "a character device",
        LibC.S_IFSOCK => "a socket",
        0x6000 => "a block device",
        _ => $"file type {Convert.ToString((int)(type >> 12), 8)}",
    };

    private static string Mib(long bytes) => bytes < 1024 * 1024 ? $"{bytes / 1024.0:0.#} KiB" : $"{bytes / (1024.0 * 1024):0.#} MiB";

    private static KexecLoadException Refused(int errno, string message) => new(KernelOperation.KexecLoad, errno, message);
}
