// UnixSocketMessaging: bytes plus file descriptors over a connected Unix stream socket —
// sendmsg with an SCM_RIGHTS control message, recvmsg with MSG_CMSG_CLOEXEC. This is how
// luod hands session fds to clients and takes memfds from them.
//
// Works with any SafeHandle that owns a connected AF_UNIX stream socket, typically
// Socket.SafeHandle of a .NET Socket. Every call uses MSG_DONTWAIT, whatever blocking mode
// the descriptor is in; on EAGAIN the async methods await readiness through an epoll
// instance of our own (FileDescriptorReadiness) and try again — no thread blocks, nothing
// polls. Received descriptors come back as ReceivedFileDescriptor handles (close-on-exec);
// no raw descriptor number leaves this assembly.
//
// Kernel facts this relies on (net/unix/af_unix.c, unix_stream_sendmsg/_read_generic):
// the descriptors of one sendmsg are attached to the first socket buffer it queues, so
// they reach the receiver with the first bytes of that send; a recvmsg that picks up
// descriptors ends right after the buffer that carried them (it may include earlier bytes
// that had none). A receive into a zero-length buffer would consume and drop pending
// descriptors, so it is refused here.
using System.Runtime.InteropServices;
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Kernel.Interop;

namespace LiveUpdate.Kernel;

public static class UnixSocketMessaging
{
    /// <summary>SCM_MAX_FD: the most descriptors one message can carry (and the default receive capacity).</summary>
    public const int MaxFileDescriptorsPerMessage = LibC.SCM_MAX_FD;

    /// <summary>
    /// Sends all of <paramref name="data"/>; <paramref name="fileDescriptors"/> (if any) ride with
    /// its first byte, in the first sendmsg. The handles are AddRef'd for the duration of that
    /// call and remain the caller's (the receiver gets its own duplicates). The token is
    /// observed only while waiting for room in the socket buffer; when it fires after part of
    /// the data went out, the peer has seen a partial message, so close the connection.
    /// </summary>
    public static async ValueTask SendAsync(SafeHandle socket, ReadOnlyMemory<byte> data,
        IReadOnlyList<SafeHandle>? fileDescriptors = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(socket);
        int fdCount = fileDescriptors?.Count ?? 0;
        if (fdCount > MaxFileDescriptorsPerMessage)
            throw new ArgumentException(
                $"{fdCount} file descriptors cannot go in one message; the kernel allows at most {MaxFileDescriptorsPerMessage} (SCM_MAX_FD). Split them over several messages.",
                nameof(fileDescriptors));
        if (fdCount > 0 && data.IsEmpty)
            throw new ArgumentException("File descriptors travel with bytes on a stream socket; send at least one byte with them.", nameof(data));

        int sent = 0;
        bool descriptorsPending = fdCount > 0;
        while (sent < data.Length)
        {
            int written = TrySend(socket, data.Span[sent..], descriptorsPending ? fileDescriptors : null);
            if (written < 0)
            {
                await FileDescriptorReadiness.Shared.WaitWritableAsync(socket, cancellationToken).ConfigureAwait(false);
                continue;
            }
            sent += written;
            descriptorsPending = false;
        }
    }

    /// <summary>
    /// Receives what is available (at least one byte, or end of stream) into <paramref name="buffer"/>,
    /// with the descriptors that came with it, waiting asynchronously until something arrives.
    /// Room is made for <paramref name="maxFileDescriptors"/> descriptors; if the peer sent more,
    /// the kernel closes the excess, sets MSG_CTRUNC, and this throws
    /// <see cref="ControlMessageTruncatedException"/> (the bytes are consumed: close the connection).
    /// The token is observed only while waiting; received data is never lost to cancellation.
    /// </summary>
    public static async ValueTask<UnixSocketReceiveResult> ReceiveAsync(SafeHandle socket, Memory<byte> buffer,
        int maxFileDescriptors = MaxFileDescriptorsPerMessage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (buffer.IsEmpty)
            throw new ArgumentException("The receive buffer must hold at least one byte: a zero-length receive would consume and drop pending file descriptors.", nameof(buffer));
        ArgumentOutOfRangeException.ThrowIfNegative(maxFileDescriptors);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxFileDescriptors, MaxFileDescriptorsPerMessage);

        while (true)
        {
            if (TryReceive(socket, buffer.Span, maxFileDescriptors) is { } result)
                return result;
            await FileDescriptorReadiness.Shared.WaitReadableAsync(socket, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One non-blocking sendmsg: the number of bytes the kernel took, or -1 when the socket buffer is full (EAGAIN).</summary>
    internal static unsafe int TrySend(SafeHandle socket, ReadOnlySpan<byte> data, IReadOnlyList<SafeHandle>? fileDescriptors)
    {
        int count = fileDescriptors?.Count ?? 0;
        int controlLength = count > 0 ? LibC.ControlMessageHeader.Space(count * sizeof(int)) : 0;
        byte* control = stackalloc byte[controlLength];
        new Span<byte>(control, controlLength).Clear();
        Span<bool> referenced = stackalloc bool[count];
        try
        {
            if (count > 0)
            {
                var header = (LibC.ControlMessageHeader*)control;
                header->Length = (nuint)(LibC.ControlMessageHeader.DataOffset + count * sizeof(int));
                header->Level = LibC.SOL_SOCKET;
                header->Type = LibC.SCM_RIGHTS;
                int* slots = (int*)(control + LibC.ControlMessageHeader.DataOffset);
                for (int i = 0; i < count; i++)
                {
                    var handle = fileDescriptors![i] ?? throw new ArgumentException($"File descriptor {i} of the message is null.", nameof(fileDescriptors));
                    handle.DangerousAddRef(ref referenced[i]);
                    slots[i] = (int)handle.DangerousGetHandle().ToInt64();
                }
            }

            fixed (byte* bytes = data)
            {
                var vector = new LibC.IoVector { Base = bytes, Length = (nuint)data.Length };
                var message = new LibC.MessageHeader
                {
                    IoVectors = &vector,
                    IoVectorCount = 1,
                    Control = count > 0 ? control : null,
                    ControlLength = (nuint)controlLength,
                };
                while (true)
                {
                    nint written = LibC.SendMsg(socket, &message, LibC.MSG_DONTWAIT | LibC.MSG_NOSIGNAL);
                    if (written >= 0)
                        return (int)written;
                    int errno = LibC.LastErrno;
                    if (errno == Errno.EINTR)
                        continue;
                    if (errno == Errno.EAGAIN)
                        return -1;
                    throw ErrnoTranslator.Translate(KernelOperation.SocketSend, errno,
                        $"sendmsg of {data.Length} bytes with {count} file descriptors");
                }
            }
        }
        finally
        {
            for (int i = 0; i < count; i++)
                if (referenced[i])
                    fileDescriptors![i].DangerousRelease();
        }
    }

    /// <summary>One non-blocking recvmsg: what arrived, or null when nothing is there yet (EAGAIN).</summary>
    internal static unsafe UnixSocketReceiveResult? TryReceive(SafeHandle socket, Span<byte> buffer, int maxFileDescriptors)
    {
        int controlLength = maxFileDescriptors > 0 ? LibC.ControlMessageHeader.Space(maxFileDescriptors * sizeof(int)) : 0;
        byte* control = stackalloc byte[controlLength];
        fixed (byte* bytes = buffer)
        {
            var vector = new LibC.IoVector { Base = bytes, Length = (nuint)buffer.Length };
            var message = new LibC.MessageHeader
            {
                IoVectors = &vector,
                IoVectorCount = 1,
                Control = controlLength > 0 ? control : null,
                ControlLength = (nuint)controlLength,
            };
            nint received;
            while (true)
            {
                received = LibC.RecvMsg(socket, &message, LibC.MSG_DONTWAIT | LibC.MSG_CMSG_CLOEXEC);
                if (received >= 0)
                    break;
                int errno = LibC.LastErrno;
                if (errno == Errno.EINTR)
                    continue;
                if (errno == Errno.EAGAIN)
                    return null;
                throw ErrnoTranslator.Translate(KernelOperation.SocketReceive, errno, $"recvmsg into {buffer.Length} bytes");
            }

            var descriptors = CollectRights(control, (int)message.ControlLength);
            // CMSG_SPACE rounds up, so the buffer may hold one descriptor more than asked for:
            // the limit is enforced on the count, exactly as if the kernel had truncated.
            if ((message.Flags & LibC.MSG_CTRUNC) != 0 || descriptors.Length > maxFileDescriptors)
            {
                foreach (var descriptor in descriptors)
                    descriptor.Dispose();
                throw new ControlMessageTruncatedException(maxFileDescriptors == 0
                    ? "The peer sent file descriptors where none are accepted; the kernel closed them (MSG_CTRUNC). The message's bytes were consumed, so the connection cannot continue: close it, and fix the peer to send no descriptors here."
                    : $"The peer sent more than the {maxFileDescriptors} file descriptors this receiver accepts with one message (or this process reached its open-file limit, RLIMIT_NOFILE); the kernel closed the excess (MSG_CTRUNC). The message's bytes were consumed, so the connection cannot continue: close it, then send fewer descriptors per message, raise the receiver's limit, or raise 'ulimit -n'.");
            }
            return new UnixSocketReceiveResult((int)received, descriptors);
        }
    }

    private static unsafe ReceivedFileDescriptor[] CollectRights(byte* control, int length)
    {
        List<ReceivedFileDescriptor>? descriptors = null;
        int offset = 0;
        while (offset + LibC.ControlMessageHeader.DataOffset <= length)
        {
            var header = (LibC.ControlMessageHeader*)(control + offset);
            int messageLength = (int)header->Length;
            if (messageLength < LibC.ControlMessageHeader.DataOffset || offset + messageLength > length)
                break;
            if (header->Level == LibC.SOL_SOCKET && header->Type == LibC.SCM_RIGHTS)
            {
                int count = (messageLength - LibC.ControlMessageHeader.DataOffset) / sizeof(int);
                int* fds = (int*)(control + offset + LibC.ControlMessageHeader.DataOffset);
                descriptors ??= new List<ReceivedFileDescriptor>(count);
                for (int i = 0; i < count; i++)
                    descriptors.Add(new ReceivedFileDescriptor(fds[i]));
            }
            offset += LibC.ControlMessageHeader.Align(messageLength);
        }
        return descriptors is null ? [] : [.. descriptors];
    }
}
