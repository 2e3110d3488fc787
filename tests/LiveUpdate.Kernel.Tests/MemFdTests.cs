// MemFdTests: the memfd wrapper against the host's real kernel — sizes, positional I/O,
// file position, seals and shared mappings behave as memfd(2) and fcntl(2) say.
using LiveUpdate.Kernel.Errors;

namespace LiveUpdate.Kernel.Tests;

public class MemFdTests
{
    [Fact]
    public void Write_then_read_back_at_offsets()
    {
        using var memfd = MemFd.Create("test");
        memfd.Write("hello"u8, 4096);
        Assert.Equal(4101, memfd.Size);
        var buffer = new byte[5];
        Assert.Equal(5, memfd.Read(buffer, 4096));
        Assert.Equal("hello"u8.ToArray(), buffer);
        Assert.Equal(0, memfd.Read(buffer, 5000));
    }

    [Fact]
    public void Position_is_independent_of_positional_io()
    {
        using var memfd = MemFd.Create("test");
        memfd.SetSize(8192);
        memfd.Position = 1234;
        memfd.Write(new byte[10], 0);
        Assert.Equal(1234, memfd.Position);
    }

    [Fact]
    public void Seals_are_added_and_enforced()
    {
        using var memfd = MemFd.Create("test");
        memfd.SetSize(4096);
        memfd.AddSeals(MemFdSeals.Write | MemFdSeals.Grow | MemFdSeals.Shrink);
        Assert.Equal(MemFdSeals.Write | MemFdSeals.Grow | MemFdSeals.Shrink, memfd.Seals);
        var error = Assert.ThrowsAny<LiveUpdateException>(() => memfd.Write("x"u8, 0));
        Assert.Equal(1, error.Errno); // EPERM: sealed against writes
        Assert.ThrowsAny<LiveUpdateException>(() => memfd.SetSize(8192));
    }

    [Fact]
    public void Without_sealing_allowed_the_only_seal_is_SEAL()
    {
        using var memfd = MemFd.Create("test", allowSealing: false);
        Assert.Equal(MemFdSeals.Seal, memfd.Seals);
    }

    [Fact]
    public void Mapping_shares_bytes_with_the_file()
    {
        using var memfd = MemFd.Create("test");
        memfd.SetSize(1 << 16);
        using (var mapping = memfd.Map(0, 1 << 16, writable: true))
        {
            mapping.Memory.Span[100] = 0xAB;
            Assert.Equal(1 << 16, mapping.Memory.Length);
        }
        var one = new byte[1];
        memfd.Read(one, 100);
        Assert.Equal(0xAB, one[0]);
    }

    [Fact]
    public void Disposed_mapping_refuses_access()
    {
        using var memfd = MemFd.Create("test");
        memfd.SetSize(4096);
        var mapping = memfd.Map(0, 4096, writable: false);
        ((IDisposable)mapping).Dispose();
        Assert.Throws<ObjectDisposedException>(() => mapping.GetSpan());
    }

    [Fact]
    public void A_tmpfs_file_is_adopted_without_a_copy_and_is_then_what_the_memfd_handler_preserves()
    {
        string path = Path.Combine("/dev/shm", $"lu-adopt-{Guid.NewGuid():N}");
        File.WriteAllBytes(path, "criu image bytes"u8.ToArray());
        using var memfd = MemFd.AdoptTmpfsFile(path);
        Assert.False(File.Exists(path));
        Assert.Equal(FileDescriptorKind.Memfd, FileDescriptorInspector.Describe(memfd));
        var buffer = new byte[16];
        Assert.Equal(16, memfd.Read(buffer, 0));
        Assert.Equal("criu image bytes"u8.ToArray(), buffer);
    }

    [Fact]
    public void A_file_on_disk_or_with_another_link_is_refused_and_left_where_it_was()
    {
        string onDisk = Path.Combine(AppContext.BaseDirectory, $"lu-adopt-{Guid.NewGuid():N}");
        string onTmpfs = Path.Combine("/dev/shm", $"lu-adopt-{Guid.NewGuid():N}");
        string secondLink = onTmpfs + ".link";
        try
        {
            File.WriteAllText(onDisk, "x");
            Assert.Throws<UnsupportedFileTypeException>(() => MemFd.AdoptTmpfsFile(onDisk));
            Assert.Equal("x", File.ReadAllText(onDisk));
            File.WriteAllText(onTmpfs, "y");
            using (var ln = System.Diagnostics.Process.Start("ln", [onTmpfs, secondLink])) ln.WaitForExit();
            Assert.True(File.Exists(secondLink));
            Assert.Throws<UnsupportedFileTypeException>(() => MemFd.AdoptTmpfsFile(onTmpfs));
            Assert.Equal("y", File.ReadAllText(onTmpfs));
        }
        finally
        {
            File.Delete(onDisk);
            File.Delete(onTmpfs);
            File.Delete(secondLink);
        }
    }
}
