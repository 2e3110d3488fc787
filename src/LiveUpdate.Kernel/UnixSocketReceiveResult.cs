// UnixSocketReceiveResult: what one recvmsg on a Unix stream socket delivered — a count of
// bytes and the descriptors that came with them. The receiver owns the descriptors and
// must dispose the ones it does not keep.
namespace LiveUpdate.Kernel;

public readonly record struct UnixSocketReceiveResult(int BytesReceived, IReadOnlyList<ReceivedFileDescriptor> FileDescriptors)
{
    /// <summary>The peer closed its end (or shut down writing): no more bytes will come.</summary>
    public bool EndOfStream => BytesReceived == 0;
}
