// ReadSequence: the bytes a connection has received and not yet consumed, as a ReadOnlySequence
// with one segment per read — what a PipeReader hands MemcachedTextServer's loop, but with every
// read boundary kept, so a fuzz input reaches the parser's handling of lines, numbers and data
// blocks split across segments. Append a read, take Buffer, hand back where the parser stopped.
using System.Buffers;

namespace LiveUpdate.Fuzzing;

public sealed class ReadSequence
{
    private Segment? _last;
    private SequencePosition _start;

    public void Append(ReadOnlyMemory<byte> read)
    {
        var segment = new Segment(read, _last is null ? 0 : _last.RunningIndex + _last.Memory.Length);
        if (_last is null) _start = new SequencePosition(segment, 0);
        else _last.Next = segment;
        _last = segment;
    }

    /// <summary>Everything received from the last consumed position on (empty before the first read).</summary>
    public ReadOnlySequence<byte> Buffer => _last is null
        ? ReadOnlySequence<byte>.Empty
        : new ReadOnlySequence<byte>((Segment)_start.GetObject()!, _start.GetInteger(), _last, _last.Memory.Length);

    /// <summary>Drops what the parser consumed: <paramref name="rest"/> is what it left of <see cref="Buffer"/>.</summary>
    public void Consumed(ReadOnlySequence<byte> rest)
    {
        if (_last is null) return;
        _start = rest.IsEmpty ? new SequencePosition(_last, _last.Memory.Length) : rest.Start;
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public new Segment? Next
        {
            get => (Segment?)base.Next;
            set => base.Next = value;
        }
    }
}
