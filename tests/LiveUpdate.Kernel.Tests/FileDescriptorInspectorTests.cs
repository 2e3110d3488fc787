// FileDescriptorInspectorTests: memfds are told apart from pipes, sockets, regular files and
// devices the way the kernel's memfd live update handler tells them apart.
using System.IO.Pipes;
using LiveUpdate.Kernel.Errors;

namespace LiveUpdate.Kernel.Tests;

public class FileDescriptorInspectorTests
{
    [Fact]
    public void A_memfd_is_a_memfd()
    {
        using var memfd = MemFd.Create("kind");
        Assert.Equal(FileDescriptorKind.Memfd, FileDescriptorInspector.Describe(memfd));
        FileDescriptorInspector.EnsureMemfd(memfd, "the test memfd");
    }

    [Fact]
    public void A_pipe_is_a_pipe_and_is_refused_by_name()
    {
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        Assert.Equal(FileDescriptorKind.Pipe, FileDescriptorInspector.Describe(pipe.SafePipeHandle));
        var error = Assert.Throws<UnsupportedFileTypeException>(() => FileDescriptorInspector.EnsureMemfd(pipe.SafePipeHandle, "file 'data'"));
        Assert.Contains("file 'data' is a pipe, not a memfd", error.Message);
        Assert.Contains("memfd_create", error.Message);
    }

    [Fact]
    public void A_socket_is_a_socket()
    {
        var (a, b) = UnixSocketPair.Create();
        using (a) using (b)
            Assert.Equal(FileDescriptorKind.Socket, FileDescriptorInspector.Describe(a.SafeHandle));
    }

    [Fact]
    public void A_regular_file_on_disk_is_a_regular_file()
    {
        string path = Path.GetTempFileName();
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
            Assert.Equal(FileDescriptorKind.RegularFile, FileDescriptorInspector.Describe(handle));
            Assert.Equal(FileDescriptorKind.RegularFile, FileDescriptorInspector.DescribePath(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_tmpfs_file_is_a_memfd_only_once_unlinked()
    {
        if (!Directory.Exists("/dev/shm"))
            return; // no shmem mount to test with
        string path = Path.Combine("/dev/shm", $"lu-kind-{Guid.NewGuid():N}");
        using var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite);
        try
        {
            Assert.Equal(FileDescriptorKind.RegularFile, FileDescriptorInspector.Describe(handle));
        }
        finally
        {
            File.Delete(path);
        }
        Assert.Equal(FileDescriptorKind.Memfd, FileDescriptorInspector.Describe(handle));
    }

    [Fact]
    public void Dev_null_is_a_character_device()
    {
        using var handle = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Read);
        Assert.Equal(FileDescriptorKind.CharacterDevice, FileDescriptorInspector.Describe(handle));
    }

    [Fact]
    public void Paths_are_described_without_following_them()
    {
        Assert.Null(FileDescriptorInspector.DescribePath($"/nonexistent-{Guid.NewGuid():N}"));
        Assert.Equal(FileDescriptorKind.Directory, FileDescriptorInspector.DescribePath("/"));
        Assert.Equal(FileDescriptorKind.CharacterDevice, FileDescriptorInspector.DescribePath("/dev/null"));
    }

    [Fact]
    public async Task A_received_pipe_is_not_taken_as_a_memfd()
    {
        var (a, b) = UnixSocketPair.Create();
        using (a) using (b)
        using (var pipe = new AnonymousPipeServerStream(PipeDirection.Out))
        {
            await UnixSocketMessaging.SendAsync(a.SafeHandle, "p"u8.ToArray(), [pipe.SafePipeHandle]);
            var result = await UnixSocketMessaging.ReceiveAsync(b.SafeHandle, new byte[4]);
            using var received = Assert.Single(result.FileDescriptors);
            Assert.Equal(FileDescriptorKind.Pipe, received.Kind);
            var error = Assert.Throws<UnsupportedFileTypeException>(() => received.TakeMemFd());
            Assert.Contains("is a pipe", error.Message);
            Assert.False(received.IsClosed);
        }
    }
}
