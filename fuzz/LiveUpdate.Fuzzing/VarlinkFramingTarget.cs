// VarlinkFramingTarget: the bytes of a connection, cut into reads, through VarlinkInputBuffer
// (NUL framing, the message-size limit) and VarlinkWireFormat (UTF-8 and JSON checks).
// Fine: VarlinkProtocolException (and its VarlinkMessageTooLargeException), the typed answer
// to a peer that breaks the wire format. Anything else is a bug.
using LiveUpdate.Kernel;
using LiveUpdate.Varlink;

namespace LiveUpdate.Fuzzing;

public static class VarlinkFramingTarget
{
    private const int MaxMessageSize = 4096;

    public static void Run(byte[] input)
    {
        if (input.Length == 0) return;
        // The first byte picks the read size, so one input exercises messages split across reads.
        int readSize = input[0] % 64 + 1;
        using var buffer = new VarlinkInputBuffer(MaxMessageSize);
        try
        {
            for (int at = 1; at < input.Length;)
            {
                while (buffer.TryTakeMessage(out var message, out var descriptors))
                    descriptors.Dispose();
                var space = buffer.GetReadSpace();
                int count = Math.Min(Math.Min(readSize, space.Length), input.Length - at);
                input.AsSpan(at, count).CopyTo(space.Span);
                buffer.Commit(count, Array.Empty<ReceivedFileDescriptor>());
                at += count;
            }
            while (buffer.TryTakeMessage(out var message, out var descriptors))
                descriptors.Dispose();
        }
        catch (VarlinkProtocolException) { }
    }
}
