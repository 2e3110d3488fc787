// VarlinkConnection: one Varlink connection over a connected Unix stream socket — sends
// messages with optional file descriptors and receives messages with the descriptors that
// belong to them (see VarlinkInputBuffer for framing and the descriptor rule).
//
// Sends are serialized, and each message goes out whole before the next one starts; a
// message with descriptors is written with them on its first byte. Receives are
// serialized too. A peer that breaks the protocol (invalid JSON, a message over the size
// limit, descriptors in the middle of a message, more descriptors than allowed) gets the
// connection closed, and the caller a typed exception. A message to send with more than 253
// descriptors (SCM_MAX_FD) is refused before a byte is written
// (VarlinkTooManyFileDescriptorsException), and the connection stays usable. Cancelling a receive loses nothing;
// cancelling a send that is waiting for the peer to make room closes the connection,
// because the peer may already have part of the message.
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using LiveUpdate.Kernel;
using LiveUpdate.Kernel.Errors;

namespace LiveUpdate.Varlink;

public sealed class VarlinkConnection : IDisposable, IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly VarlinkInputBuffer _input;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly SemaphoreSlim _receiveLock = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Lazy<PeerCredentials> _peer;
    private int _closed;

    /// <summary>Wraps a connected AF_UNIX stream socket; the connection owns it from now on.</summary>
    public VarlinkConnection(Socket socket, VarlinkConnectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket.AddressFamily != AddressFamily.Unix || socket.SocketType != SocketType.Stream)
            throw new ArgumentException($"Varlink with file-descriptor passing needs a Unix stream socket, not {socket.AddressFamily}/{socket.SocketType}.", nameof(socket));
        Options = options ?? VarlinkConnectionOptions.Default;
        Options.Validate();
        _socket = socket;
        _input = new VarlinkInputBuffer(Options.MaxMessageSize);
        _peer = new Lazy<PeerCredentials>(() => PeerCredentials.Of(_socket.SafeHandle));
    }

    public VarlinkConnectionOptions Options { get; }

    /// <summary>Process, user and group of the peer, as the kernel recorded them at connect time (SO_PEERCRED).</summary>
    public PeerCredentials PeerCredentials => _peer.Value;

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Connects to the Varlink service listening at <paramref name="socketPath"/>.</summary>
    public static async Task<VarlinkConnection> ConnectAsync(string socketPath, VarlinkConnectionOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        (options ?? VarlinkConnectionOptions.Default).Validate();
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new VarlinkConnectException(socketPath, e.SocketErrorCode switch
            {
                SocketError.AddressNotAvailable or SocketError.HostNotFound => $"No Varlink service at {socketPath}: the socket does not exist. Start the service (is luod running?) or check the path.",
                SocketError.ConnectionRefused => $"Nothing is listening on {socketPath} (a stale socket left by a service that stopped?). Start the service, or check the path.",
                SocketError.AccessDenied => $"Permission denied connecting to {socketPath}: the socket's mode or a directory above it does not admit this user. Run as a user the service admits (root for luod).",
                _ => $"Cannot connect to the Varlink service at {socketPath}: {e.Message}.",
            }, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new VarlinkConnection(socket, options);
    }

    /// <summary>Sends any JSON object as a message (calls and replies have typed overloads).</summary>
    public Task SendAsync(JsonObject message, IReadOnlyList<SafeHandle>? fileDescriptors = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return SendFrameAsync(VarlinkWireFormat.Encode(writer => message.WriteTo(writer), Options.MaxMessageSize), fileDescriptors, cancellationToken);
    }

    /// <summary>Sends a call; <paramref name="fileDescriptors"/> go with it and stay the caller's.</summary>
    public Task SendAsync(VarlinkCall call, IReadOnlyList<SafeHandle>? fileDescriptors = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        return SendFrameAsync(VarlinkWireFormat.Encode(call.WriteTo, Options.MaxMessageSize), fileDescriptors, cancellationToken);
    }

    /// <summary>Sends a reply; <paramref name="fileDescriptors"/> go with it and stay the caller's.</summary>
    public Task SendAsync(VarlinkReply reply, IReadOnlyList<SafeHandle>? fileDescriptors = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reply);
        return SendFrameAsync(VarlinkWireFormat.Encode(reply.WriteTo, Options.MaxMessageSize), fileDescriptors, cancellationToken);
    }

    /// <summary>
    /// While a server streams replies ("more") it does not read the connection, so it would hear
    /// that the peer went away only at its next write. This watches for that: true once the peer
    /// has closed its end (readable with nothing to read), false when the peer sent data instead
    /// (a pipelined call: the watch ends, the data stays for ReceiveAsync), checked every
    /// <paramref name="interval"/> without reading. Throws OperationCanceledException when cancelled.
    /// </summary>
    public async Task<bool> WaitUntilPeerClosesAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (IsClosed) return true;
            try
            {
                if (_socket.Poll(0, SelectMode.SelectRead)) return _socket.Available == 0;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return true;
            }
            await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The next message and its descriptors, or null when the peer closed the connection
    /// between messages. Dispose the result to close the descriptors you did not take.
    /// </summary>
    public async Task<VarlinkReceivedMessage?> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        await _receiveLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
            while (true)
            {
                ThrowIfClosed();
                UnixSocketReceiveResult received;
                try
                {
                    if (_input.TryTakeMessage(out var message, out var descriptors))
                        return new VarlinkReceivedMessage(message, descriptors);
                    received = await UnixSocketMessaging.ReceiveAsync(_socket.SafeHandle, _input.GetReadSpace(),
                        Options.MaxFileDescriptorsPerMessage, linked.Token).ConfigureAwait(false);
                }
                catch (VarlinkProtocolException)
                {
                    Close();
                    throw;
                }
                catch (ControlMessageTruncatedException e)
                {
                    Close();
                    throw new VarlinkProtocolException(
                        $"{e.Message} (This connection accepts {Options.MaxFileDescriptorsPerMessage} per message: VarlinkConnectionOptions.MaxFileDescriptorsPerMessage.)", e);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw ClosedLocally();
                }
                catch (Exception e) when (e is LiveUpdateException or ObjectDisposedException)
                {
                    bool wasClosed = IsClosed;
                    Close();
                    throw wasClosed ? ClosedLocally() : new VarlinkDisconnectedException($"Receiving from the Varlink peer failed: {e.Message}", e);
                }

                if (received.EndOfStream)
                {
                    int partial = _input.BufferedBytes;
                    Close();
                    if (partial > 0)
                        throw new VarlinkProtocolException(
                            $"The peer closed the connection in the middle of a message ({partial} bytes without the terminating NUL).");
                    return null;
                }
                try
                {
                    _input.Commit(received.BytesReceived, received.FileDescriptors);
                }
                catch (VarlinkProtocolException)
                {
                    Close();
                    throw;
                }
                catch (ObjectDisposedException)
                {
                    throw ClosedLocally();
                }
            }
        }
        finally
        {
            _receiveLock.Release();
        }
    }

    /// <summary>Closes the connection; pending operations end with <see cref="VarlinkDisconnectedException"/>.</summary>
    public void Dispose() => Close();

    public ValueTask DisposeAsync()
    {
        Close();
        return ValueTask.CompletedTask;
    }

    private async Task SendFrameAsync(byte[] frame, IReadOnlyList<SafeHandle>? fileDescriptors, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        // Before the kernel's EINVAL, and before anything is written: the connection stays usable.
        VarlinkTooManyFileDescriptorsException.ThrowIfTooMany(fileDescriptors);
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfClosed();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
            try
            {
                await UnixSocketMessaging.SendAsync(_socket.SafeHandle, frame, fileDescriptors, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The peer may hold part of the message: the stream cannot be resynchronized.
                bool wasClosed = IsClosed;
                Close();
                if (cancellationToken.IsCancellationRequested && !wasClosed)
                    throw;
                throw ClosedLocally();
            }
            catch (PeerDisconnectedException e)
            {
                Close();
                throw new VarlinkDisconnectedException($"The Varlink peer closed the connection: {e.Message}", e);
            }
            catch (ObjectDisposedException) when (IsClosed)
            {
                throw ClosedLocally();
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
            return;
        _lifetime.Cancel();
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
        _socket.Dispose();
        _input.Dispose();
    }

    private void ThrowIfClosed()
    {
        if (IsClosed)
            throw ClosedLocally();
    }

    private static VarlinkDisconnectedException ClosedLocally() =>
        new("The Varlink connection is closed (it was disposed, or an earlier protocol error or disconnect closed it). Open a new connection.");
}
