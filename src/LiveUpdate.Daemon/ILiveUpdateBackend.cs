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
