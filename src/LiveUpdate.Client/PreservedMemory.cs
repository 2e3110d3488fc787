// PreservedMemory: a memfd seen as Memory<byte> through a shared mapping — create one, fill
// it through Memory, and preserve it; after the kexec, Open the retrieved memfd to read it
// back. Disposing unmaps (and closes the memfd when this object created it).
using LiveUpdate.Kernel;

namespace LiveUpdate.Client;

public sealed class PreservedMemory : IDisposable
{
    private readonly MappedMemory? _mapping;
    private readonly bool _ownsMemFd;

    private PreservedMemory(MemFd memfd, MappedMemory? mapping, bool ownsMemFd)
    {
        MemFd = memfd;
        _mapping = mapping;
        _ownsMemFd = ownsMemFd;
    }

    /// <summary>The memfd behind the memory (preserve this).</summary>
    public MemFd MemFd { get; }

    /// <summary>The mapped bytes; writes land in the memfd directly (shared mapping).</summary>
    public Memory<byte> Memory => _mapping?.Memory ?? Memory<byte>.Empty;

    public long Length => _mapping?.Length ?? 0;

    /// <summary>Creates a memfd of <paramref name="length"/> zero bytes, mapped writable.</summary>
    public static PreservedMemory Create(string name, int length)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var memfd = MemFd.Create(name);
        try
        {
            memfd.SetSize(length);
            return new PreservedMemory(memfd, length == 0 ? null : memfd.Map(0, length, writable: true), ownsMemFd: true);
        }
        catch
        {
            memfd.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Maps all of <paramref name="memfd"/> (e.g. one retrieved after a kexec). The memfd stays
    /// the caller's: disposing this only unmaps. Writable mappings need a memfd without write seals.
    /// </summary>
    public static PreservedMemory Open(MemFd memfd, bool writable = false)
    {
        ArgumentNullException.ThrowIfNull(memfd);
        long size = memfd.Size;
        if (size > int.MaxValue)
            throw new NotSupportedException($"The memfd is {size} bytes; PreservedMemory maps at most {int.MaxValue} bytes. Use MemFd.Map on a window of it.");
        return new PreservedMemory(memfd, size == 0 ? null : memfd.Map(0, (int)size, writable), ownsMemFd: false);
    }

    public void Dispose()
    {
        ((IDisposable?)_mapping)?.Dispose();
        if (_ownsMemFd) MemFd.Dispose();
    }
}
