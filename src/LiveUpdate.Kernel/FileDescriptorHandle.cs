// FileDescriptorHandle: the SafeHandle every kernel object of LiveUpdate derives from.
// It owns one file descriptor, closes it exactly once, and never hands the raw int out
// of this assembly.
using System.Runtime.InteropServices;
using LiveUpdate.Kernel.Interop;

namespace LiveUpdate.Kernel;

public abstract class FileDescriptorHandle : SafeHandle
{
    protected FileDescriptorHandle() : base(invalidHandleValue: -1, ownsHandle: true) { }

    private protected FileDescriptorHandle(int fd) : this() => SetHandle(fd);

    public override bool IsInvalid => handle.ToInt64() < 0;

    protected override bool ReleaseHandle() => LibC.Close((int)handle.ToInt64()) == 0;

    /// <summary>The descriptor number, for the kernel boundary's own ioctl arguments only.</summary>
    internal int DangerousFd => (int)DangerousGetHandle().ToInt64();
}
