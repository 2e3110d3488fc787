// FileDescriptorKind: what kind of open file a descriptor refers to, as far as live update
// cares. luod uses it to refuse anything but a memfd early, with a message that names what
// it got instead, rather than letting PRESERVE_FD fail later with a bare ENOENT.
namespace LiveUpdate.Kernel;

public enum FileDescriptorKind
{
    /// <summary>
    /// A memfd, or any other unlinked shmem file: exactly what the kernel's memfd live update
    /// handler accepts (mm/memfd_luo.c: <c>shmem_file(file) &amp;&amp; !inode-&gt;i_nlink</c>).
    /// </summary>
    Memfd,

    /// <summary>A regular file that is not an unlinked shmem file (on disk, linked into tmpfs, hugetlbfs, ...).</summary>
    RegularFile,

    Directory,

    /// <summary>A pipe or FIFO.</summary>
    Pipe,

    Socket,

    CharacterDevice,

    /// <summary>Anything else: block device, symbolic link (paths only), eventfd-like anonymous inodes.</summary>
    Other,
}
