// LiveUpdateExceptions: the typed errors of the kernel boundary. Each carries the
// operation and errno it came from, and a message that states the cause and what to do,
// so an operator reading one line knows the next step.
namespace LiveUpdate.Kernel.Errors;

/// <summary>Base of every error raised by the kernel boundary.</summary>
public class LiveUpdateException : Exception
{
    public LiveUpdateException(KernelOperation operation, int errno, string message)
        : base(message)
    {
        Operation = operation;
        Errno = errno;
    }

    public KernelOperation Operation { get; }

    /// <summary>The kernel's errno, or 0 when the error was found before any system call.</summary>
    public int Errno { get; }
}

/// <summary>/dev/liveupdate is absent: the kernel lacks LUO or was booted without it.</summary>
public sealed class LiveUpdateUnavailableException(KernelOperation operation, int errno, string message)
    : LiveUpdateException(operation, errno, message);

/// <summary>/dev/liveupdate is single-open and another process holds it.</summary>
public sealed class DeviceBusyException(int errno, string message, int? holderPid, string? holderName)
    : LiveUpdateException(KernelOperation.OpenDevice, errno, message)
{
    public int? HolderPid { get; } = holderPid;
    public string? HolderName { get; } = holderName;
}

/// <summary>Opening the device after a kexec failed to restore the previous kernel's data.</summary>
public sealed class DeserializationFailedException(int errno, string message)
    : LiveUpdateException(KernelOperation.OpenDevice, errno, message);

/// <summary>No preserved session has this name.</summary>
public sealed class SessionNotFoundException(int errno, string message)
    : LiveUpdateException(KernelOperation.RetrieveSession, errno, message);

/// <summary>A session with this name already exists (or was already retrieved).</summary>
public sealed class DuplicateSessionException(KernelOperation operation, int errno, string message)
    : LiveUpdateException(operation, errno, message);

/// <summary>No preserved file has this token in the session.</summary>
public sealed class TokenNotFoundException(int errno, string message)
    : LiveUpdateException(KernelOperation.RetrieveFd, errno, message);

/// <summary>The token is already used in the session, or the file is already preserved.</summary>
public sealed class DuplicateTokenException(int errno, string message)
    : LiveUpdateException(KernelOperation.PreserveFd, errno, message);

/// <summary>No live update file handler accepts this kind of file.</summary>
public sealed class UnsupportedFileTypeException(int errno, string message)
    : LiveUpdateException(KernelOperation.PreserveFd, errno, message);

/// <summary>The object is too big, or too many objects are preserved.</summary>
public sealed class PreservationTooLargeException(KernelOperation operation, int errno, string message)
    : LiveUpdateException(operation, errno, message);

/// <summary>An argument was rejected (by our validation before the call, or by the kernel).</summary>
public sealed class InvalidLiveUpdateArgumentException(KernelOperation operation, int errno, string message)
    : LiveUpdateException(operation, errno, message);

/// <summary>The kernel could not allocate memory for the operation.</summary>
public sealed class LiveUpdateOutOfMemoryException(KernelOperation operation, int errno, string message)
    : LiveUpdateException(operation, errno, message);

/// <summary>The caller lacks the privilege the operation needs.</summary>
public sealed class LiveUpdatePermissionException(KernelOperation operation, int errno, string message)
    : LiveUpdateException(operation, errno, message);

/// <summary>The session cannot finish yet (a preserved file is still in use).</summary>
public sealed class SessionBusyException(int errno, string message)
    : LiveUpdateException(KernelOperation.FinishSession, errno, message);

/// <summary>kexec_file_load refused the image or the command line.</summary>
public sealed class KexecLoadException(KernelOperation operation, int errno, string message)
    : LiveUpdateException(operation, errno, message);

/// <summary>Any other failure, with the kernel's own description.</summary>
public sealed class LiveUpdateSystemException(KernelOperation operation, int errno, string message)
    : LiveUpdateException(operation, errno, message);

/// <summary>The other end of a Unix socket closed the connection (EPIPE, ECONNRESET).</summary>
public sealed class PeerDisconnectedException(KernelOperation operation, int errno, string message)
    : LiveUpdateException(operation, errno, message);

/// <summary>
/// recvmsg reported MSG_CTRUNC: the peer sent more file descriptors (or other control data)
/// than the receive buffer had room for, and the kernel closed the ones that did not fit.
/// The bytes were consumed, so the stream cannot be trusted any more; close the connection.
/// </summary>
public sealed class ControlMessageTruncatedException(string message)
    : LiveUpdateException(KernelOperation.SocketReceive, 0, message);
