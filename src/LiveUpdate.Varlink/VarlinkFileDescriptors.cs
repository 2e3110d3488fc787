// VarlinkFileDescriptors: the descriptors that arrived with one Varlink message, in the
// order the sender attached them. The set owns them: borrow one with the indexer, take one
// out to keep it beyond the message (Take / TakeMemFd), and disposing the set closes every
// descriptor nobody took — as sd-varlink closes the fds a method did not take.
using LiveUpdate.Kernel;

namespace LiveUpdate.Varlink;

public sealed class VarlinkFileDescriptors : IDisposable
{
    private readonly ReceivedFileDescriptor?[] _descriptors;
    private readonly Lock _gate = new();

    internal VarlinkFileDescriptors(IReadOnlyList<ReceivedFileDescriptor> descriptors) => _descriptors = [.. descriptors];

    internal static VarlinkFileDescriptors None => new([]);

    public int Count => _descriptors.Length;

    /// <summary>Borrows descriptor <paramref name="index"/>; it stays owned by the set (closed with it).</summary>
    public ReceivedFileDescriptor this[int index]
    {
        get
        {
            lock (_gate)
                return _descriptors[CheckIndex(index)] ?? throw Taken(index);
        }
    }

    /// <summary>Takes descriptor <paramref name="index"/> out of the set; the caller now owns (and must dispose) it.</summary>
    public ReceivedFileDescriptor Take(int index)
    {
        lock (_gate)
        {
            var descriptor = _descriptors[CheckIndex(index)] ?? throw Taken(index);
            _descriptors[index] = null;
            return descriptor;
        }
    }

    /// <summary>
    /// Takes descriptor <paramref name="index"/> as a <see cref="MemFd"/> after checking it is one;
    /// when it is not, throws <see cref="LiveUpdate.Kernel.Errors.UnsupportedFileTypeException"/> naming
    /// what it is, and the descriptor stays in the set.
    /// </summary>
    public MemFd TakeMemFd(int index)
    {
        lock (_gate)
        {
            var descriptor = _descriptors[CheckIndex(index)] ?? throw Taken(index);
            var memfd = descriptor.TakeMemFd();
            _descriptors[index] = null;
            return memfd;
        }
    }

    /// <summary>Closes every descriptor that was not taken.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            for (int i = 0; i < _descriptors.Length; i++)
            {
                _descriptors[i]?.Dispose();
                _descriptors[i] = null;
            }
        }
    }

    private int CheckIndex(int index)
    {
        if ((uint)index >= (uint)_descriptors.Length)
            throw new ArgumentOutOfRangeException(nameof(index), index,
                _descriptors.Length == 0
                    ? "No file descriptors came with this message."
                    : $"Only {_descriptors.Length} file descriptor(s) came with this message (indexes 0 to {_descriptors.Length - 1}).");
        return index;
    }

    private static InvalidOperationException Taken(int index) =>
        new($"File descriptor {index} of this message was already taken; whoever took it owns it now.");
}
