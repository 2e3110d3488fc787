// UnixSocketPair: two connected AF_UNIX stream sockets (socketpair), returned as .NET
// Sockets. Used to hand a private channel to a child process and by tests that need a
// connected pair without a path in the filesystem.
using System.Net.Sockets;
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Kernel.Interop;

namespace LiveUpdate.Kernel;

public static unsafe class UnixSocketPair
{
    /// <summary>Creates a connected pair of close-on-exec Unix stream sockets; dispose both.</summary>
    public static (Socket First, Socket Second) Create()
    {
        int* fds = stackalloc int[2];
        if (LibC.SocketPair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0, fds) < 0)
            throw ErrnoTranslator.Translate(KernelOperation.SocketPair, LibC.LastErrno, "socketpair(AF_UNIX, SOCK_STREAM)");
        var firstHandle = new SafeSocketHandle(fds[0], ownsHandle: true);
        var secondHandle = new SafeSocketHandle(fds[1], ownsHandle: true);
        Socket? first = null;
        try
        {
            first = new Socket(firstHandle);
            return (first, new Socket(secondHandle));
        }
        catch
        {
            if (first is null) firstHandle.Dispose(); else first.Dispose();
            secondHandle.Dispose();
            throw;
        }
    }
}
