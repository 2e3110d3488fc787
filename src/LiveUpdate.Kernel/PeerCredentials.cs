// PeerCredentials: who is on the other end of a connected Unix socket — the process id,
// user id and group id the kernel recorded when the peer called connect() (SO_PEERCRED).
// luod decides from these which client may do what; they cannot be forged by the peer.
using System.Runtime.InteropServices;
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Kernel.Interop;

namespace LiveUpdate.Kernel;

public readonly record struct PeerCredentials(int ProcessId, uint UserId, uint GroupId)
{
    /// <summary>Reads SO_PEERCRED of the connected Unix socket <paramref name="socket"/> (e.g. <c>Socket.SafeHandle</c>).</summary>
    public static unsafe PeerCredentials Of(SafeHandle socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        LibC.UnixCredentials credentials;
        uint length = (uint)sizeof(LibC.UnixCredentials);
        if (LibC.GetSockOpt(socket, LibC.SOL_SOCKET, LibC.SO_PEERCRED, &credentials, &length) < 0)
            throw ErrnoTranslator.Translate(KernelOperation.PeerCredentials, LibC.LastErrno, "SO_PEERCRED of the socket");
        return new PeerCredentials(credentials.Pid, credentials.Uid, credentials.Gid);
    }

    public override string ToString() => $"pid {ProcessId}, uid {UserId}, gid {GroupId}";
}
