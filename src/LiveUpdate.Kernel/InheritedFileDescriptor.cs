// InheritedFileDescriptor: adopts a descriptor number a process inherited from its parent
// (e.g. `luoctl preserve --fd 3 3<data`) as a typed handle, after checking it is open, so
// the number is turned into a SafeHandle at the boundary and nowhere else.
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Kernel.Interop;

namespace LiveUpdate.Kernel;

public sealed class InheritedFileDescriptor : FileDescriptorHandle
{
    private const int F_GETFD = 1;

    private InheritedFileDescriptor(int fd) : base(fd) { }

    /// <summary>Takes ownership of <paramref name="fd"/>; throws when it is not an open descriptor.</summary>
    public static InheritedFileDescriptor Adopt(int fd)
    {
        if (fd < 0)
            throw new InvalidLiveUpdateArgumentException(KernelOperation.InspectFile, 0, $"{fd} is not a file descriptor number.");
        var handle = new InheritedFileDescriptor(fd);
        if (LibC.Fcntl(handle, F_GETFD, 0) < 0)
        {
            handle.SetHandleAsInvalid();
            throw new InvalidLiveUpdateArgumentException(KernelOperation.InspectFile, LibC.LastErrno,
                $"file descriptor {fd} is not open in this process; open it in the calling shell, e.g. '{fd}<file'.");
        }
        return handle;
    }

    /// <summary>Checks the descriptor is a memfd and returns it as a <see cref="MemFd"/>; this handle is closed.</summary>
    public MemFd TakeMemFd() => MemFd.TakeOver(this, "the inherited file descriptor");
}
