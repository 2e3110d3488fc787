// HeldFile: a descriptor the test side owns — what the fake backend keeps of a preserved
// file (a dup, so the bytes live on when the client closes its own fd, as the kernel
// keeps its struct file), and what a test uses for a pipe.
using System.Runtime.InteropServices;
using LiveUpdate.Kernel;

namespace LiveUpdate.Testing;

/// <summary>
/// A descriptor the test side owns: what the fake device keeps of a preserved file (a duplicate,
/// so the bytes live on after the client closes its own descriptor, as the kernel keeps its
/// struct file), or one end of a <see cref="NativeFile.Pipe"/>.
/// </summary>
public sealed class HeldFile : SafeHandle
{
    /// <summary>Takes ownership of the open descriptor <paramref name="fd"/>.</summary>
    public HeldFile(int fd) : base(invalidHandleValue: -1, ownsHandle: true) => SetHandle(fd);

    /// <summary>A duplicate (F_DUPFD_CLOEXEC) of <paramref name="fd"/>, owned by the new HeldFile.</summary>
    public static HeldFile DuplicateOf(SafeHandle fd) => new(NativeFile.Duplicate(fd));

    /// <inheritdoc/>
    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>A new MemFd on the same open file (a dup); the caller owns it.</summary>
    public MemFd DuplicateAsMemFd()
    {
        int copy = NativeFile.Duplicate(this);
        try { return new MemFd(copy); }
        catch { NativeFile.Close(copy); throw; }
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => NativeFile.Close((int)handle.ToInt64()) == 0;
}
