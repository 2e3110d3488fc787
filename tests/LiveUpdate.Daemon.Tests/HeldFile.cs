// HeldFile: a descriptor the test side owns — what the fake backend keeps of a preserved
// file (a dup, so the bytes live on when the client closes its own fd, as the kernel
// keeps its struct file), and what a test uses for a pipe.
using System.Runtime.InteropServices;
using LiveUpdate.Kernel;

namespace LiveUpdate.Daemon.Tests;

internal sealed class HeldFile : SafeHandle
{
    public HeldFile(int fd) : base(invalidHandleValue: -1, ownsHandle: true) => SetHandle(fd);

    public static HeldFile DuplicateOf(SafeHandle fd) => new(NativeFile.Duplicate(fd));

    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>A new MemFd on the same open file (a dup); the caller owns it.</summary>
    public MemFd DuplicateAsMemFd()
    {
        int copy = NativeFile.Duplicate(this);
        try { return new MemFd(copy); }
        catch { NativeFile.Close(copy); throw; }
    }

    protected override bool ReleaseHandle() => NativeFile.Close((int)handle.ToInt64()) == 0;
}
