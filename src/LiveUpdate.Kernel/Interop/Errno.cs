// Errno: the Linux errno values the kernel boundary interprets (x86_64 numbering).
namespace LiveUpdate.Kernel.Interop;

internal static class Errno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EIO = 5;
    public const int E2BIG = 7;
    public const int ENOEXEC = 8;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int EACCES = 13;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
    public const int ENODEV = 19;
    public const int ENOTDIR = 20;
    public const int EISDIR = 21;
    public const int EINVAL = 22;
    public const int ENAMETOOLONG = 36;
    public const int ELOOP = 40;
    public const int EADDRNOTAVAIL = 99;
    public const int EPIPE = 32;
    public const int ENOTTY = 25;
    public const int EFBIG = 27;
    public const int ENOSPC = 28;
    public const int ENOSYS = 38;
    public const int EOVERFLOW = 75;
    public const int EOPNOTSUPP = 95;
    public const int EKEYREJECTED = 129;
    public const int ENFILE = 23;
    public const int EMFILE = 24;
    public const int ENOTSOCK = 88;
    public const int ECONNRESET = 104;
    public const int ENOTCONN = 107;
    public const int ETOOMANYREFS = 109;
}
