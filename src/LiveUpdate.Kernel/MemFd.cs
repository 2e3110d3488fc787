// MemFd: an anonymous shared-memory file (memfd_create) — the object Linux 7.2/7.3 can
// preserve across a live update with its contents, size, file position and seals.
// Read and write by offset, move the position, seal, or map it as Memory<byte>.
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Kernel.Interop;

namespace LiveUpdate.Kernel;

public sealed unsafe class MemFd : FileDescriptorHandle
{
    private const uint MFD_CLOEXEC = 0x1;
    private const uint MFD_ALLOW_SEALING = 0x2;

    internal MemFd(int fd) : base(fd) { }

    /// <summary>
    /// Checks <paramref name="handle"/> is a memfd and returns a MemFd holding a duplicate of the
    /// same open file; <paramref name="handle"/> is closed. Throws UnsupportedFileTypeException
    /// naming the actual kind otherwise, and then <paramref name="handle"/> stays open.
    /// </summary>
    internal static MemFd TakeOver(FileDescriptorHandle handle, string what)
    {
        FileDescriptorInspector.EnsureMemfd(handle, what);
        int duplicate = LibC.Fcntl(handle, LibC.F_DUPFD_CLOEXEC, 0);
        if (duplicate < 0)
            throw ErrnoTranslator.Translate(KernelOperation.MemFd, LibC.LastErrno, $"duplicating {what}");
        var memfd = new MemFd(duplicate);
        handle.Dispose();
        return memfd;
    }

    /// <summary>
    /// A file on tmpfs made into what the kernel's memfd handler preserves, without copying it:
    /// opened read-write, then unlinked — an unlinked shmem file (mm/memfd_luo.c:
    /// <c>shmem_file(file) &amp;&amp; !inode-&gt;i_nlink</c>), its pages where they are. Throws
    /// UnsupportedFileTypeException, and leaves the file as it was, when <paramref name="path"/> is not
    /// on tmpfs or has other links: then it can be preserved only by copying it into a memfd.
    /// </summary>
    public static MemFd AdoptTmpfsFile(string path)
    {
        int fd = LibC.Open(path, LibC.O_RDWR | LibC.O_CLOEXEC);
        if (fd < 0)
            throw ErrnoTranslator.Translate(KernelOperation.MemFd, LibC.LastErrno, $"opening {path}");
        var memfd = new MemFd(fd);
        try
        {
            // Checked before the unlink, so a file this cannot take is left where it was.
            LibC.StatBuffer stat;
            LibC.StatFsBuffer statfs;
            Check(LibC.Fstat(memfd, &stat), "fstat");
            Check(LibC.Fstatfs(memfd, &statfs), "fstatfs");
            if (statfs.Type != LibC.TMPFS_MAGIC || stat.LinkCount != 1)
                throw new UnsupportedFileTypeException(0, $"{path} is not a tmpfs file with one link (filesystem 0x{statfs.Type:x}, {stat.LinkCount} links): it cannot be preserved without a copy");
            File.Delete(path);
            FileDescriptorInspector.EnsureMemfd(memfd, path);
            return memfd;
        }
        catch
        {
            memfd.Dispose();
            throw;
        }
    }

    /// <summary>Creates an empty memfd (close-on-exec, sealing allowed).</summary>
    public static MemFd Create(string name, bool allowSealing = true)
    {
        int fd = LibC.MemfdCreate(name, MFD_CLOEXEC | (allowSealing ? MFD_ALLOW_SEALING : 0));
        if (fd < 0)
            throw ErrnoTranslator.Translate(KernelOperation.MemFd, LibC.LastErrno, $"memfd_create('{name}')");
        return new MemFd(fd);
    }

    public long Size
    {
        get
        {
            LibC.StatBuffer stat;
            Check(LibC.Fstat(this, &stat), "fstat");
            return stat.Size;
        }
    }

    public void SetSize(long bytes) => Check(LibC.Ftruncate(this, bytes), $"ftruncate to {bytes} bytes");

    /// <summary>The file position (preserved by the kernel across a live update).</summary>
    public long Position
    {
        get => Check(LibC.Lseek(this, 0, LibC.SEEK_CUR), "lseek");
        set => Check(LibC.Lseek(this, value, LibC.SEEK_SET), $"lseek to {value}");
    }

    public MemFdSeals Seals => (MemFdSeals)Check(LibC.Fcntl(this, LibC.F_GET_SEALS, 0), "F_GET_SEALS");

    public void AddSeals(MemFdSeals seals) => Check(LibC.Fcntl(this, LibC.F_ADD_SEALS, (int)seals), $"F_ADD_SEALS {seals}");

    /// <summary>Writes all of <paramref name="data"/> at <paramref name="offset"/>, growing the file if needed.</summary>
    public void Write(ReadOnlySpan<byte> data, long offset)
    {
        fixed (byte* start = data)
        {
            int done = 0;
            while (done < data.Length)
            {
                nint written = LibC.Pwrite(this, start + done, (nuint)(data.Length - done), offset + done);
                if (written < 0 && LibC.LastErrno == Errno.EINTR) continue;
                Check(written, $"pwrite at {offset + done}");
                done += (int)written;
            }
        }
    }

    /// <summary>Reads up to <paramref name="buffer"/>.Length bytes at <paramref name="offset"/>; returns the count (0 at end of file).</summary>
    public int Read(Span<byte> buffer, long offset)
    {
        fixed (byte* start = buffer)
        {
            int done = 0;
            while (done < buffer.Length)
            {
                nint read = LibC.Pread(this, start + done, (nuint)(buffer.Length - done), offset + done);
                if (read < 0 && LibC.LastErrno == Errno.EINTR) continue;
                Check(read, $"pread at {offset + done}");
                if (read == 0) break;
                done += (int)read;
            }
            return done;
        }
    }

    /// <summary>Maps <paramref name="length"/> bytes at <paramref name="offset"/> shared; dispose the mapping to unmap.</summary>
    public MappedMemory Map(long offset, int length, bool writable)
    {
        int protection = LibC.PROT_READ | (writable ? LibC.PROT_WRITE : 0);
        nint address = LibC.Mmap(0, (nuint)length, protection, LibC.MAP_SHARED, this, offset);
        if (address == -1)
            throw ErrnoTranslator.Translate(KernelOperation.MemFd, LibC.LastErrno, $"mmap of {length} bytes at {offset}");
        return new MappedMemory(address, length);
    }

    private static long Check(long result, string what)
    {
        if (result < 0)
            throw ErrnoTranslator.Translate(KernelOperation.MemFd, LibC.LastErrno, $"memfd {what}");
        return result;
    }

    private static int Check(int result, string what) => (int)Check((long)result, what);
}
