// MappedMemory: a MemoryManager over an mmap'ed region of a memfd, so preserved state
// can be filled and read through Memory<byte>/Span<byte> without copies. Disposing it
// unmaps the region; using its Memory afterwards is a caller bug.
using System.Buffers;
using LiveUpdate.Kernel.Interop;

namespace LiveUpdate.Kernel;

public sealed unsafe class MappedMemory : MemoryManager<byte>
{
    private nint _address;
    private readonly int _length;

    internal MappedMemory(nint address, int length)
    {
        _address = address;
        _length = length;
    }

    public int Length => _length;

    public override Span<byte> GetSpan()
    {
        ObjectDisposedException.ThrowIf(_address == 0, this);
        return new Span<byte>((void*)_address, _length);
    }

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ObjectDisposedException.ThrowIf(_address == 0, this);
        return new MemoryHandle((byte*)_address + elementIndex);
    }

    public override void Unpin() { }

    protected override void Dispose(bool disposing)
    {
        nint address = Interlocked.Exchange(ref _address, 0);
        if (address != 0)
            LibC.Munmap(address, (nuint)_length);
    }
}
