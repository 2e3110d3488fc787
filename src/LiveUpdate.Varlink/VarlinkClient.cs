// VarlinkClient: calls methods of a Varlink service — one reply (CallAsync), a stream of
// replies (CallMoreAsync), or none (SendOnewayAsync) — with file descriptors either way.
// Calls on one client run one at a time. An error reply throws VarlinkErrorException.
// Varlink cannot cancel a call once sent, and its reply would otherwise be taken for the
// next call's: so cancelling a call that is waiting for its reply, or abandoning a stream
// before its last reply, closes the connection.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace LiveUpdate.Varlink;

public sealed class VarlinkClient : IDisposable, IAsyncDisposable
{
    private readonly SemaphoreSlim _callLock = new(1, 1);

    /// <summary>Uses an open connection; the client owns it from now on.</summary>
    public VarlinkClient(VarlinkConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        Connection = connection;
    }

    public VarlinkConnection Connection { get; }

    /// <summary>Connects to the service listening at <paramref name="socketPath"/>.</summary>
    public static async Task<VarlinkClient> ConnectAsync(string socketPath, VarlinkConnectionOptions? options = null,
        CancellationToken cancellationToken = default) =>
        new(await VarlinkConnection.ConnectAsync(socketPath, options, cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// Calls <paramref name="method"/> and returns its reply. <paramref name="fileDescriptors"/>
    /// go with the call and stay the caller's. Throws <see cref="VarlinkErrorException"/> for an
    /// error reply, <see cref="VarlinkDisconnectedException"/> when the connection ends first.
    /// </summary>
    public async Task<VarlinkResult> CallAsync(string method, JsonObject? parameters = null,
        IReadOnlyList<SafeHandle>? fileDescriptors = null, CancellationToken cancellationToken = default)
    {
        var call = new VarlinkCall(method, parameters);
        await _callLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Connection.SendAsync(call, fileDescriptors, cancellationToken).ConfigureAwait(false);
            var result = await ReceiveReplyAsync(method, cancellationToken).ConfigureAwait(false);
            if (result.Continues)
            {
                result.Dispose();
                Connection.Dispose();
                throw new VarlinkProtocolException(
                    $"The service answered {method} with \"continues\": true although the call did not ask for more; the connection was closed.");
            }
            return result;
        }
        finally
        {
            _callLock.Release();
        }
    }

    /// <summary>
    /// Calls <paramref name="method"/> with <c>"more": true</c> and yields each reply until the
    /// last (<see cref="VarlinkResult.Continues"/> false). Dispose each result you receive.
    /// </summary>
    public async IAsyncEnumerable<VarlinkResult> CallMoreAsync(string method, JsonObject? parameters = null,
        IReadOnlyList<SafeHandle>? fileDescriptors = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var call = new VarlinkCall(method, parameters, more: true);
        await _callLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        bool complete = false;
        try
        {
            await Connection.SendAsync(call, fileDescriptors, cancellationToken).ConfigureAwait(false);
            while (!complete)
            {
                VarlinkResult result;
                try
                {
                    result = await ReceiveReplyAsync(method, cancellationToken).ConfigureAwait(false);
                }
                catch (VarlinkErrorException)
                {
                    complete = true; // an error reply is the stream's last
                    throw;
                }
                complete = !result.Continues;
                yield return result;
            }
        }
        finally
        {
            if (!complete)
                Connection.Dispose(); // replies still on their way would be taken for the next call's
            _callLock.Release();
        }
    }

    /// <summary>Calls <paramref name="method"/> with <c>"oneway": true</c>: the service runs it and sends no reply.</summary>
    public async Task SendOnewayAsync(string method, JsonObject? parameters = null,
        IReadOnlyList<SafeHandle>? fileDescriptors = null, CancellationToken cancellationToken = default)
    {
        var call = new VarlinkCall(method, parameters, oneway: true);
        await _callLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Connection.SendAsync(call, fileDescriptors, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _callLock.Release();
        }
    }

    public void Dispose() => Connection.Dispose();

    public ValueTask DisposeAsync() => Connection.DisposeAsync();

    private async Task<VarlinkResult> ReceiveReplyAsync(string method, CancellationToken cancellationToken)
    {
        VarlinkReceivedMessage? message;
        try
        {
            message = await Connection.ReceiveAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Connection.Dispose(); // the reply will still come, and would be taken for the next call's
            throw;
        }
        if (message is null)
            throw new VarlinkDisconnectedException($"The service closed the connection before answering {method}.");

        VarlinkReply reply;
        try
        {
            reply = VarlinkReply.FromMessage(message.Body);
        }
        catch (VarlinkProtocolException)
        {
            message.Dispose();
            Connection.Dispose();
            throw;
        }
        if (reply.IsError)
        {
            message.Dispose();
            throw new VarlinkErrorException(reply.Error!, reply.Parameters, method);
        }
        return new VarlinkResult(reply.Parameters, reply.Continues, message.FileDescriptors);
    }
}
