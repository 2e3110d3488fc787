// ReceivedFileDescriptor: a descriptor that arrived from another process over a Unix socket
// (SCM_RIGHTS). Its kind is unknown until asked; TakeMemFd checks it is a memfd and turns
// it into a MemFd. It owns the descriptor and closes it once, like every handle here.
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Kernel.Interop;

namespace LiveUpdate.Kernel;

public sealed class ReceivedFileDescriptor : FileDescriptorHandle
{
    internal ReceivedFileDescriptor(int fd) : base(fd) { }

    /// <summary>What the descriptor refers to (fstat/fstatfs on every call).</summary>
    public FileDescriptorKind Kind => FileDescriptorInspector.Describe(this);

    /// <summary>
    /// Checks the descriptor is a memfd and returns it as a <see cref="MemFd"/>; this handle is
    /// closed (the MemFd holds a duplicate of the same open file). Throws
    /// <see cref="UnsupportedFileTypeException"/> naming the actual kind otherwise, and then
    /// this handle stays open.
    /// </summary>
    public MemFd TakeMemFd() => MemFd.TakeOver(this, "the received file descriptor");
}
