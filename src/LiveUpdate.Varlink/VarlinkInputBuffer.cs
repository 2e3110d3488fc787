// VarlinkInputBuffer: turns the byte stream of a connection back into messages, and decides
// which message the file descriptors of each read belong to.
//
// Framing: bytes accumulate until a NUL ends a message. A message may span many reads, one
// read may bring several messages (the remainder stays buffered for the next call), and a
// message longer than the limit fails the connection as soon as that is certain — before
// its end arrives. The buffer never grows beyond the limit plus one byte.
//
// File descriptors — the rule. A sender attaches a message's descriptors to a sendmsg that
// starts at the message's first byte (sd-varlink does: it never queues another message
// behind unsent fds; VarlinkConnection does: a message with fds gets a sendmsg of its own).
// The kernel queues them with the first socket buffer of that send, and a recvmsg that
// picks them up ends right after that buffer, though it may start with earlier bytes that
// had no descriptors (the tail of a message already partly read, or whole messages). So:
//
//   the descriptors delivered by one recvmsg belong to the LAST message that begins within
//   the bytes of that recvmsg.
//
// When a read starts at a message boundary and carries one message, this is sd-varlink's
// rule (the fds belong to the message being read). It differs where sd-varlink is wrong or
// strict: sd-varlink gives the fds to the first message of the read, which is wrong when an
// fd-less message was glued in front, and refuses fds arriving while a message is half
// read (EPROTO), which can happen legitimately. A read that brings descriptors but no
// message start (descriptors attached to bytes in the middle of a message) breaks the
// convention: the descriptors are closed and the connection fails with a protocol error.
// Known limit: a sender that puts a message with fds AND further messages into one sendmsg
// (sd-varlink can, for a oneway call with fds followed at once by another call) has its fds
// credited to the last of them; VarlinkConnection never sends that way.
using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;
using LiveUpdate.Kernel;

namespace LiveUpdate.Varlink;

internal sealed class VarlinkInputBuffer(int maxMessageSize) : IDisposable
{
    private const int InitialCapacity = 16 * 1024;

    private readonly Lock _gate = new();
    private readonly Queue<(long MessageOffset, ReceivedFileDescriptor[] Descriptors)> _pending = new();
    private byte[] _buffer = new byte[Math.Min(InitialCapacity, maxMessageSize + 1)];
    private int _start;        // first byte of the first unconsumed message
    private int _end;          // end of the received bytes
    private int _scanned;      // bytes before this index (from _start) hold no NUL
    private long _startOffset; // stream offset of _buffer[_start]
    private bool _disposed;

    /// <summary>Bytes of a message whose end has not arrived yet are buffered.</summary>
    public bool HasPartialMessage
    {
        get { lock (_gate) return _end > _start; }
    }

    public int BufferedBytes
    {
        get { lock (_gate) return _end - _start; }
    }

    /// <summary>Takes the next complete message and its descriptors, if one is buffered.</summary>
    public bool TryTakeMessage([NotNullWhen(true)] out JsonObject? message, out VarlinkFileDescriptors descriptors)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int found = _buffer.AsSpan(_scanned, _end - _scanned).IndexOf((byte)0);
            if (found < 0)
            {
                _scanned = _end;
                if (_end - _start > maxMessageSize)
                    throw TooLarge($"more than {maxMessageSize} bytes without the terminating NUL");
                message = null;
                descriptors = VarlinkFileDescriptors.None;
                return false;
            }

            int terminator = _scanned + found;
            int length = terminator - _start;
            if (length > maxMessageSize)
                throw TooLarge($"{length} bytes");
            var owned = new VarlinkFileDescriptors(DescriptorsFor(_startOffset));
            var json = _buffer.AsSpan(_start, length);
            _start = terminator + 1;
            _startOffset += length + 1;
            _scanned = _start;
            try
            {
                message = VarlinkWireFormat.Decode(json);
            }
            catch
            {
                owned.Dispose();
                throw;
            }
            if (_start == _end)
                _start = _end = _scanned = 0;
            descriptors = owned;
            return true;
        }
    }

    /// <summary>Room to receive into; call only after <see cref="TryTakeMessage"/> found no complete message.</summary>
    public Memory<byte> GetReadSpace()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_end == _buffer.Length && _start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _scanned -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length)
            {
                int capacity = (int)Math.Min((long)_buffer.Length * 2, (long)maxMessageSize + 1);
                if (capacity <= _buffer.Length)
                    throw TooLarge($"more than {maxMessageSize} bytes without the terminating NUL");
                Array.Resize(ref _buffer, capacity);
            }
            return _buffer.AsMemory(_end);
        }
    }

    /// <summary>
    /// Records that <paramref name="count"/> bytes were received into the read space with
    /// <paramref name="descriptors"/> (which this buffer now owns), applying the rule above.
    /// </summary>
    public void Commit(int count, IReadOnlyList<ReceivedFileDescriptor> descriptors)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                foreach (var descriptor in descriptors) descriptor.Dispose();
                ObjectDisposedException.ThrowIf(true, this);
            }
            int chunkStart = _end;
            bool startsAtBoundary = _end == _start;
            _end += count;
            if (descriptors.Count == 0)
                return;

            long chunkOffset = _startOffset + (chunkStart - _start);
            // A message begins after every NUL that has at least one more byte of this read
            // behind it, and at the read's first byte when no partial message preceded it.
            int lastTerminator = count > 1 ? _buffer.AsSpan(chunkStart, count - 1).LastIndexOf((byte)0) : -1;
            long owner;
            if (lastTerminator >= 0)
                owner = chunkOffset + lastTerminator + 1;
            else if (startsAtBoundary)
                owner = chunkOffset;
            else
            {
                foreach (var descriptor in descriptors) descriptor.Dispose();
                throw new VarlinkProtocolException(
                    $"The peer sent {descriptors.Count} file descriptor(s) with bytes from the middle of a message; they were closed and the connection was closed. A Varlink sender must attach descriptors to the first byte of the message they belong to.");
            }
            _pending.Enqueue((owner, [.. descriptors]));
        }
    }

    /// <summary>Closes the descriptors of messages not taken yet.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            while (_pending.TryDequeue(out var entry))
                foreach (var descriptor in entry.Descriptors)
                    descriptor.Dispose();
        }
    }

    private ReceivedFileDescriptor[] DescriptorsFor(long messageOffset)
    {
        if (_pending.TryPeek(out var next) && next.MessageOffset == messageOffset)
            return _pending.Dequeue().Descriptors;
        return [];
    }

    private VarlinkMessageTooLargeException TooLarge(string size) =>
        new($"The peer sent a message of {size}, over this connection's limit of {maxMessageSize} bytes (VarlinkConnectionOptions.MaxMessageSize); the connection was closed. Pass bulk data in a memfd instead of inline JSON, or raise the limit on both ends.",
            maxMessageSize);
}
