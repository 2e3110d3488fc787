// ArenaBacking: the memfd behind an arena and its shared mapping. Standalone it creates a plain
// memfd; with luod it maps the memfd that was preserved (or claimed after a kexec). Disposing
// unmaps, and closes the memfd only when this object owns it.
using LiveUpdate.Kernel;

namespace LuCache;

public sealed class ArenaBacking : IDisposable
{
    private readonly MappedMemory _mapping;
    private readonly bool _ownsMemFd;

    private ArenaBacking(MemFd memfd, MappedMemory mapping, bool ownsMemFd)
    {
        MemFd = memfd;
        _mapping = mapping;
        _ownsMemFd = ownsMemFd;
    }

    public MemFd MemFd { get; }

    public Memory<byte> Memory => _mapping.Memory;

    public int Length => _mapping.Length;

    /// <summary>A new zero-filled memfd of <paramref name="bytes"/>, mapped writable (this object owns it).</summary>
    public static ArenaBacking Create(string name, long bytes)
    {
        if (bytes <= 0 || bytes > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(bytes), bytes, $"An arena is 1..{int.MaxValue} bytes (one mapping).");
        var memfd = MemFd.Create(name);
        try
        {
            memfd.SetSize(bytes);
            return new ArenaBacking(memfd, memfd.Map(0, (int)bytes, writable: true), ownsMemFd: true);
        }
        catch
        {
            memfd.Dispose();
            throw;
        }
    }

    /// <summary>Maps all of an existing memfd writable (e.g. one claimed after a kexec); the memfd stays the caller's.</summary>
    public static ArenaBacking Open(MemFd memfd)
    {
        long size = memfd.Size;
        if (size <= 0 || size > int.MaxValue)
            throw new ArenaLayoutException($"The memfd is {size} bytes; a LuCache arena is 1..{int.MaxValue} bytes.");
        return new ArenaBacking(memfd, memfd.Map(0, (int)size, writable: true), ownsMemFd: false);
    }

    public void Dispose()
    {
        ((IDisposable)_mapping).Dispose();
        if (_ownsMemFd) MemFd.Dispose();
    }
}
