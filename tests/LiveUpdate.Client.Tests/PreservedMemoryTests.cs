// PreservedMemoryTests: a PreservedMemory is a memfd of the asked size whose shared mapping
// writes straight into the file; Open maps an existing memfd (read-only or writable) and
// leaves it open on dispose.
using LiveUpdate.Kernel;

namespace LiveUpdate.Client.Tests;

public sealed class PreservedMemoryTests
{
    [Fact]
    public void Create_fills_the_memfd_through_Memory()
    {
        using var memory = PreservedMemory.Create("state", 8192);
        Assert.Equal(8192, memory.Length);
        Assert.Equal(8192, memory.MemFd.Size);
        Assert.True(memory.Memory.Span.IndexOfAnyExcept((byte)0) < 0);

        "hello"u8.CopyTo(memory.Memory.Span[100..]);
        memory.Memory.Span[^1] = 0xAB;

        byte[] read = new byte[8192];
        Assert.Equal(8192, memory.MemFd.Read(read, 0));
        Assert.Equal("hello"u8.ToArray(), read[100..105]);
        Assert.Equal(0xAB, read[^1]);
    }

    [Fact]
    public void Open_maps_an_existing_memfd_and_leaves_it_open()
    {
        using var memfd = MemFd.Create("retrieved");
        memfd.Write("preserved bytes"u8, 0);
        using (var view = PreservedMemory.Open(memfd, writable: true))
        {
            Assert.Equal(15, view.Length);
            Assert.Equal("preserved bytes"u8.ToArray(), view.Memory.ToArray());
            view.Memory.Span[0] = (byte)'P';
        }
        Assert.False(memfd.IsClosed);
        byte[] read = new byte[15];
        memfd.Read(read, 0);
        Assert.Equal("Preserved bytes"u8.ToArray(), read);
    }

    [Fact]
    public void Empty_memory_has_no_mapping()
    {
        using var memory = PreservedMemory.Create("empty", 0);
        Assert.Equal(0, memory.Length);
        Assert.True(memory.Memory.IsEmpty);
        using var view = PreservedMemory.Open(memory.MemFd);
        Assert.True(view.Memory.IsEmpty);
    }

    [Fact]
    public void Dispose_closes_a_created_memfd()
    {
        var memory = PreservedMemory.Create("closing", 4096);
        var memfd = memory.MemFd;
        memory.Dispose();
        Assert.True(memfd.IsClosed);
    }
}
