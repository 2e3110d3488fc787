// LiveUpdateDevice: /dev/liveupdate, the Live Update Orchestrator's control device
// (kernel/liveupdate/luo_core.c). It is single-open; opening it after a kexec makes the
// kernel deserialize the sessions handed over by the previous kernel. From it come the
// session handles: CREATE_SESSION for the outgoing kernel, RETRIEVE_SESSION after kexec.
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Kernel.Interop;

namespace LiveUpdate.Kernel;

public sealed unsafe class LiveUpdateDevice : FileDescriptorHandle
{
    public const string DefaultPath = "/dev/liveupdate";

    private LiveUpdateDevice(int fd, string path) : base(fd) => Path = path;

    public string Path { get; }

    /// <summary>Opens the device. Throws <see cref="DeviceBusyException"/> naming the holder when another process has it.</summary>
    public static LiveUpdateDevice Open(string path = DefaultPath)
    {
        int fd = LibC.Open(path, LibC.O_RDWR | LibC.O_CLOEXEC);
        if (fd < 0)
            throw ErrnoTranslator.Translate(KernelOperation.OpenDevice, LibC.LastErrno, path);
        return new LiveUpdateDevice(fd, path);
    }

    /// <summary>Creates an outgoing session; it is preserved across kexec only while its handle stays open.</summary>
    public LiveUpdateSession CreateSession(string name)
    {
        var sessionName = SessionName.Parse(name, KernelOperation.CreateSession);
        int fd = SessionIoctl(LiveUpdateUapi.IoctlCreateSession, sessionName, KernelOperation.CreateSession);
        return new LiveUpdateSession(fd, sessionName, SessionDirection.Outgoing);
    }

    /// <summary>Retrieves a session the previous kernel handed over.</summary>
    public LiveUpdateSession RetrieveSession(string name)
    {
        var sessionName = SessionName.Parse(name, KernelOperation.RetrieveSession);
        int fd = SessionIoctl(LiveUpdateUapi.IoctlRetrieveSession, sessionName, KernelOperation.RetrieveSession);
        return new LiveUpdateSession(fd, sessionName, SessionDirection.Incoming);
    }

    private int SessionIoctl(uint request, SessionName name, KernelOperation operation)
    {
        var args = new SessionIoctlArgs { Size = (uint)sizeof(SessionIoctlArgs), Fd = -1 };
        name.CopyTo(ref args.Name);
        if (LibC.Ioctl(this, request, &args) < 0)
            throw ErrnoTranslator.Translate(operation, LibC.LastErrno, name.Value);
        return args.Fd;
    }
}
