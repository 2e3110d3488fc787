// LiveUpdateSession: one LUO session fd (kernel/liveupdate/luo_session.c). Outgoing
// sessions take files with PRESERVE_FD under caller-chosen u64 tokens; closing an
// outgoing session unpreserves its files. Incoming sessions give files back with
// RETRIEVE_FD and release the kernel's hold on them with FINISH.
using System.Runtime.InteropServices;
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Kernel.Interop;

namespace LiveUpdate.Kernel;

public sealed unsafe class LiveUpdateSession : FileDescriptorHandle
{
    internal LiveUpdateSession(int fd, SessionName name, SessionDirection direction) : base(fd)
    {
        Name = name.Value;
        Direction = direction;
    }

    public string Name { get; private set; }

    public SessionDirection Direction { get; }

    /// <summary>
    /// Takes over a session descriptor received from another process (luod hands session fds
    /// to delegated clients); <paramref name="received"/> is left invalid. The name is read with GET_NAME.
    /// </summary>
    public static LiveUpdateSession Adopt(FileDescriptorHandle received, SessionDirection direction)
    {
        int fd = received.DangerousFd;
        received.SetHandleAsInvalid();
        var session = new LiveUpdateSession(fd, SessionName.Parse("adopted", KernelOperation.GetSessionName), direction);
        try
        {
            session.Name = session.GetName();
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Preserves <paramref name="file"/> under <paramref name="token"/>. The caller may close its handle afterwards.</summary>
    public void Preserve(SafeHandle file, ulong token)
    {
        bool added = false;
        file.DangerousAddRef(ref added);
        try
        {
            var args = new SessionFdArgs
            {
                Size = (uint)sizeof(SessionFdArgs),
                Fd = (int)file.DangerousGetHandle().ToInt64(),
                Token = token,
            };
            if (LibC.Ioctl(this, LiveUpdateUapi.SessionPreserveFd, &args) < 0)
                throw ErrnoTranslator.Translate(KernelOperation.PreserveFd, LibC.LastErrno, Describe(token));
        }
        finally
        {
            if (added) file.DangerousRelease();
        }
    }

    /// <summary>Retrieves the memfd preserved under <paramref name="token"/> (the only preservable type in Linux 7.2/7.3).</summary>
    public MemFd RetrieveMemFd(ulong token)
    {
        var args = new SessionFdArgs { Size = (uint)sizeof(SessionFdArgs), Fd = -1, Token = token };
        if (LibC.Ioctl(this, LiveUpdateUapi.SessionRetrieveFd, &args) < 0)
            throw ErrnoTranslator.Translate(KernelOperation.RetrieveFd, LibC.LastErrno, Describe(token));
        return new MemFd(args.Fd);
    }

    /// <summary>Tells the kernel every file was retrieved; it releases its hold on the session's files.</summary>
    public void Finish()
    {
        var args = new SessionFinishArgs { Size = (uint)sizeof(SessionFinishArgs) };
        if (LibC.Ioctl(this, LiveUpdateUapi.SessionFinish, &args) < 0)
            throw ErrnoTranslator.Translate(KernelOperation.FinishSession, LibC.LastErrno, $"session '{Name}'");
    }

    /// <summary>The session's full name as the kernel knows it (GET_NAME).</summary>
    public string GetName()
    {
        var args = new SessionGetNameArgs { Size = (uint)sizeof(SessionGetNameArgs) };
        if (LibC.Ioctl(this, LiveUpdateUapi.SessionGetName, &args) < 0)
            throw ErrnoTranslator.Translate(KernelOperation.GetSessionName, LibC.LastErrno, $"session '{Name}'");
        return SessionName.FromBytes(args.Name);
    }

    private string Describe(ulong token) => $"session '{Name}', token {token}";
}
