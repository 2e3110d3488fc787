// QmpClient: the QEMU Machine Protocol over QEMU's Unix socket (docs/interop/qmp-spec in QEMU):
// one JSON object per line; after the greeting, qmp_capabilities enters command mode; each
// command gets a reply carrying its "id", and asynchronous events (STOP, RESUME, …) arrive in
// between with QEMU's CLOCK_REALTIME timestamp. A file descriptor for `getfd` rides on the
// command's bytes as SCM_RIGHTS (UnixSocketMessaging), which is how QEMU gets the memfd it
// migrates the device state into.
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LiveUpdate.Kernel;

namespace LuQemu;

/// <summary>A QMP event with QEMU's timestamp (CLOCK_REALTIME, µs resolution).</summary>
public sealed record QmpEvent(string Name, DateTimeOffset Timestamp, JsonObject? Data);

public sealed class QmpException(string command, string errorClass, string description)
    : Exception($"QEMU refused {command}: {errorClass}: {description}")
{
    public string ErrorClass { get; } = errorClass;
}

public sealed class QmpClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private readonly Lock _gate = new();
    private readonly Dictionary<long, TaskCompletionSource<JsonObject>> _pending = [];
    private readonly List<QmpEvent> _events = [];
    private readonly List<(string Name, TaskCompletionSource<QmpEvent> Waiter, int After)> _eventWaiters = [];
    private readonly Task _reader;
    private readonly CancellationTokenSource _stop = new();
    private long _nextId;

    private QmpClient(Socket socket)
    {
        _socket = socket;
        _reader = Task.Run(ReadLoopAsync);
    }

    /// <summary>Connects to QEMU's QMP socket at <paramref name="path"/> (retrying until <paramref name="timeout"/>) and enters command mode.</summary>
    public static async Task<QmpClient> ConnectAsync(string path, TimeSpan timeout, Func<bool> qemuExited, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
                var client = new QmpClient(socket);
                await client.ExecuteAsync("qmp_capabilities", null, cancellationToken).ConfigureAwait(false);
                return client;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !qemuExited())
            {
                socket.Dispose();
                await Task.Delay(10, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException error)
            {
                socket.Dispose();
                throw new IOException(qemuExited()
                    ? $"QEMU exited before its QMP socket {path} answered (see its messages above)"
                    : $"QEMU's QMP socket {path} did not answer within {timeout.TotalSeconds:F0} s: {error.Message}", error);
            }
        }
    }

    /// <summary>Runs <paramref name="command"/>; returns its "return" value, or throws QmpException with QEMU's error.</summary>
    public Task<JsonNode?> ExecuteAsync(string command, JsonObject? arguments = null, CancellationToken cancellationToken = default) =>
        ExecuteAsync(command, arguments, null, cancellationToken);

    /// <summary>As ExecuteAsync, with <paramref name="file"/> passed along (SCM_RIGHTS), e.g. for getfd.</summary>
    public async Task<JsonNode?> ExecuteAsync(string command, JsonObject? arguments, SafeHandle? file, CancellationToken cancellationToken = default)
    {
        long id = Interlocked.Increment(ref _nextId);
        var reply = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate) _pending[id] = reply;
        var message = new JsonObject { ["execute"] = command, ["id"] = id };
        if (arguments is not null) message["arguments"] = arguments;
        byte[] bytes = Encoding.UTF8.GetBytes(message.ToJsonString() + "\n");
        await _sendGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await UnixSocketMessaging.SendAsync(_socket.SafeHandle, bytes, file is null ? null : [file], cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendGate.Release();
        }
        using var registration = cancellationToken.Register(() => reply.TrySetCanceled(cancellationToken));
        var answer = await reply.Task.ConfigureAwait(false);
        if (answer["error"] is JsonObject error)
            throw new QmpException(command, (string?)error["class"] ?? "?", (string?)error["desc"] ?? "(no description)");
        return answer["return"];
    }

    /// <summary>The number of events seen so far (pass it to WaitForEventAsync to wait only for later ones).</summary>
    public int EventCount { get { lock (_gate) return _events.Count; } }

    /// <summary>Waits for event <paramref name="name"/> arriving after the first <paramref name="after"/> events.</summary>
    public async Task<QmpEvent> WaitForEventAsync(string name, int after, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var waiter = new TaskCompletionSource<QmpEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            var seen = _events.Skip(after).FirstOrDefault(e => e.Name == name);
            if (seen is not null) return seen;
            _eventWaiters.Add((name, waiter, after));
        }
        var finished = await Task.WhenAny(waiter.Task, Task.Delay(timeout, cancellationToken)).ConfigureAwait(false);
        if (finished != waiter.Task)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"QEMU sent no {name} event within {timeout.TotalSeconds:F0} s");
        }
        return await waiter.Task.ConfigureAwait(false);
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        var line = new List<byte>();
        Exception? failure = null;
        try
        {
            while (true)
            {
                int read = await _socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false);
                if (read == 0) break;
                for (int i = 0; i < read; i++)
                {
                    if (buffer[i] != (byte)'\n') { line.Add(buffer[i]); continue; }
                    Dispatch(CollectionsMarshal.AsSpan(line));
                    line.Clear();
                }
            }
        }
        catch (Exception error) when (error is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            failure = error;
        }
        var closed = new IOException("QEMU closed its QMP connection" + (failure is null ? "" : $": {failure.Message}"));
        lock (_gate)
        {
            foreach (var pending in _pending.Values) pending.TrySetException(closed);
            _pending.Clear();
            foreach (var (_, waiter, _) in _eventWaiters) waiter.TrySetException(closed);
            _eventWaiters.Clear();
        }
    }

    private void Dispatch(ReadOnlySpan<byte> text)
    {
        if (text.Trim((byte)'\r').IsEmpty) return;
        if (JsonNode.Parse(text) is not JsonObject message) return;
        if (message["event"] is JsonNode name)
        {
            var stamp = message["timestamp"];
            long seconds = (long?)stamp?["seconds"] ?? 0, micros = (long?)stamp?["microseconds"] ?? 0;
            var qmpEvent = new QmpEvent((string)name!, DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(micros * 10), message["data"] as JsonObject);
            lock (_gate)
            {
                _events.Add(qmpEvent);
                for (int i = _eventWaiters.Count - 1; i >= 0; i--)
                {
                    if (_eventWaiters[i].Name != qmpEvent.Name || _events.Count <= _eventWaiters[i].After) continue;
                    _eventWaiters[i].Waiter.TrySetResult(qmpEvent);
                    _eventWaiters.RemoveAt(i);
                }
            }
            return;
        }
        if (message["id"] is JsonNode id && (long?)id is long key)
        {
            TaskCompletionSource<JsonObject>? reply;
            lock (_gate)
            {
                if (_pending.Remove(key, out reply)) { }
            }
            reply?.TrySetResult(message);
        }
        // The greeting ({"QMP": …}) has no id and no event: nothing to do.
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _socket.Dispose();
        try { await _reader.ConfigureAwait(false); } catch { }
        _stop.Dispose();
        _sendGate.Dispose();
    }
}
