// LibC: the raw system calls LiveUpdate makes, declared once with source-generated
// marshalling (LibraryImport, AOT-safe). Everything here is internal: callers above the
// kernel boundary only ever see typed handles and exceptions, never these ints.
using System.Runtime.InteropServices;

namespace LiveUpdate.Kernel.Interop;

internal static unsafe partial class LibC
{
    private const string Lib = "libc";

    public const int O_RDONLY = 0;
    public const int O_RDWR = 2;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;

    public const int F_ADD_SEALS = 1033;
    public const int F_GET_SEALS = 1034;

    public const int PROT_READ = 1;
    public const int PROT_WRITE = 2;
    public const int MAP_SHARED = 1;

    public const int SEEK_SET = 0;
    public const int SEEK_CUR = 1;

    public const long SYS_kexec_file_load = 320;

    public const int LINUX_REBOOT_CMD_KEXEC = 0x45584543;

    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport(Lib, EntryPoint = "statfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Statfs(string path, void* buffer);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(SafeHandle fd, nuint request, void* argument);

    [LibraryImport(Lib, EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MemfdCreate(string name, uint flags);

    [LibraryImport(Lib, EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int Ftruncate(SafeHandle fd, long length);

    [LibraryImport(Lib, EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(SafeHandle fd, int command, int argument);

    [LibraryImport(Lib, EntryPoint = "lseek", SetLastError = true)]
    public static partial long Lseek(SafeHandle fd, long offset, int whence);

    [LibraryImport(Lib, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(SafeHandle fd, byte* buffer, nuint count);

    [LibraryImport(Lib, EntryPoint = "pread", SetLastError = true)]
    public static partial nint Pread(SafeHandle fd, byte* buffer, nuint count, long offset);

    [LibraryImport(Lib, EntryPoint = "pwrite", SetLastError = true)]
    public static partial nint Pwrite(SafeHandle fd, byte* buffer, nuint count, long offset);

    [LibraryImport(Lib, EntryPoint = "mmap", SetLastError = true)]
    public static partial nint Mmap(nint address, nuint length, int protection, int flags, SafeHandle fd, long offset);

    [LibraryImport(Lib, EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(nint address, nuint length);

    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
    public static partial long Syscall5(long number, nint a1, nint a2, nint a3, nint a4, nint a5);

    [LibraryImport(Lib, EntryPoint = "reboot", SetLastError = true)]
    public static partial int Reboot(int command);

    [LibraryImport(Lib, EntryPoint = "sync")]
    public static partial void Sync();

    [LibraryImport(Lib, EntryPoint = "geteuid")]
    public static partial uint Geteuid();

    [LibraryImport(Lib, EntryPoint = "fstat", SetLastError = true)]
    public static partial int Fstat(SafeHandle fd, StatBuffer* buffer);

    /// <summary>x86_64 <c>struct stat</c>; st_size, st_nlink and st_mode are read.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 144)]
    public struct StatBuffer
    {
        [FieldOffset(48)] public long Size;
        [FieldOffset(16)] public ulong LinkCount;
        [FieldOffset(24)] public uint Mode;
    }

    public static int LastErrno => Marshal.GetLastPInvokeError();

    // ---- Unix socket messaging, peer credentials, file kinds and readiness (luod's transport) ----

    public const int F_DUPFD_CLOEXEC = 1030;

    public const int AF_UNIX = 1;
    public const int SOCK_STREAM = 1;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1;
    public const int SO_PEERCRED = 17;
    public const int SCM_RIGHTS = 1;
    public const int MSG_CTRUNC = 0x8;
    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int MSG_CMSG_CLOEXEC = 0x40000000;

    /// <summary>SCM_MAX_FD (include/net/scm.h): the most descriptors one sendmsg may carry.</summary>
    public const int SCM_MAX_FD = 253;

    public const uint S_IFMT = 0xF000;
    public const uint S_IFIFO = 0x1000;
    public const uint S_IFCHR = 0x2000;
    public const uint S_IFDIR = 0x4000;
    public const uint S_IFREG = 0x8000;
    public const uint S_IFSOCK = 0xC000;

    /// <summary>TMPFS_MAGIC (include/uapi/linux/magic.h): the filesystem of shmem files, memfds included.</summary>
    public const long TMPFS_MAGIC = 0x01021994;

    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLRDHUP = 0x2000;
    public const uint EPOLLONESHOT = 1u << 30;

    [LibraryImport(Lib, EntryPoint = "sendmsg", SetLastError = true)]
    public static partial nint SendMsg(SafeHandle socket, MessageHeader* message, int flags);

    [LibraryImport(Lib, EntryPoint = "recvmsg", SetLastError = true)]
    public static partial nint RecvMsg(SafeHandle socket, MessageHeader* message, int flags);

    [LibraryImport(Lib, EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(SafeHandle socket, int level, int name, void* value, uint* length);

    [LibraryImport(Lib, EntryPoint = "socketpair", SetLastError = true)]
    public static partial int SocketPair(int domain, int type, int protocol, int* fds);

    [LibraryImport(Lib, EntryPoint = "fstatfs", SetLastError = true)]
    public static partial int Fstatfs(SafeHandle fd, StatFsBuffer* buffer);

    [LibraryImport(Lib, EntryPoint = "lstat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Lstat(string path, StatBuffer* buffer);

    [LibraryImport(Lib, EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate1(int flags);

    [LibraryImport(Lib, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollCtl(SafeHandle epoll, int operation, int fd, EpollEvent* ev);

    [LibraryImport(Lib, EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(SafeHandle epoll, EpollEvent* events, int maxEvents, int timeoutMs);

    /// <summary>x86_64 <c>struct msghdr</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVector* IoVectors;
        public nuint IoVectorCount;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary><c>struct iovec</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IoVector
    {
        public void* Base;
        public nuint Length;
    }

    /// <summary>x86_64 <c>struct cmsghdr</c>; the data follows at <see cref="ControlMessageHeader.DataOffset"/>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ControlMessageHeader
    {
        public const int DataOffset = 16;
        public nuint Length;
        public int Level;
        public int Type;

        /// <summary>CMSG_ALIGN: control messages are aligned to sizeof(size_t).</summary>
        public static int Align(int length) => (length + 7) & ~7;

        /// <summary>CMSG_SPACE: the buffer room one control message with <paramref name="dataLength"/> bytes takes.</summary>
        public static int Space(int dataLength) => DataOffset + Align(dataLength);
    }

    /// <summary><c>struct ucred</c> (SO_PEERCRED).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct UnixCredentials
    {
        public int Pid;
        public uint Uid;
        public uint Gid;
    }

    /// <summary>x86_64 <c>struct statfs</c>; only f_type is read.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 120)]
    public struct StatFsBuffer
    {
        [FieldOffset(0)] public long Type;
    }

    /// <summary>x86_64 <c>struct epoll_event</c> (packed: data follows events directly).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 12)]
    public struct EpollEvent
    {
        [FieldOffset(0)] public uint Events;
        [FieldOffset(4)] public ulong Data;
    }
}
