// ILiveUpdateBackend: what luod needs from /dev/liveupdate, as an interface so the
// custody logic runs unchanged against the real device (KernelBackend) and, in host
// tests, against an in-process fake that follows the kernel's semantics.
using System.Runtime.InteropServices;
using LiveUpdate.Kernel;

namespace LiveUpdate.Daemon;

public interface ILiveUpdateBackend : IDisposable
{
    /// <summary>Creates an outgoing session (kept across kexec while its handle is open).</summary>
    IBackendSession Create(string kernelName);

    /// <summary>Retrieves a session handed over by the previous kernel; throws SessionNotFoundException when there is none.</summary>
    IBackendSession Retrieve(string kernelName);

    /// <summary>
    /// Takes over a session descriptor that outlived the luod that opened it (kept in systemd's
    /// fd store); the kernel name is read with GET_NAME. <paramref name="descriptor"/> is left invalid.
    /// </summary>
    IBackendSession Adopt(FileDescriptorHandle descriptor, SessionDirection direction);
}

public interface IBackendSession : IDisposable
{
    string KernelName { get; }

    SessionDirection Direction { get; }

    /// <summary>The session's own descriptor, passed to delegated clients.</summary>
    SafeHandle Handle { get; }

    void Preserve(SafeHandle file, ulong token);

    MemFd RetrieveMemFd(ulong token);

    void Finish();
}
