// MemcachedTextServer: a subset of the memcached text protocol over TCP on loopback, served
// from a CacheEngine. One async loop per client over System.IO.Pipelines; replies to pipelined
// commands are batched into one flush. The commands, their parsing and their error answers are
// MemcachedTextSession's (one per connection); this class owns the listener, the sockets, the
// connection counts and the wait of a write held by a live update's pause.
using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace LuCache;

public sealed class MemcachedTextServer : IAsyncDisposable
{
    public const int MaxLineLength = 2048;
    public const string Version = "1.6.0-lucache";

    private readonly CacheEngine _engine;
    private readonly TcpListener _listener;
    private readonly TextWriter? _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<long, Socket> _connections = new();
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    private Task _acceptLoop = Task.CompletedTask;
    private long _nextConnectionId;
    private long _totalConnections;

    public MemcachedTextServer(CacheEngine engine, int port, IPAddress? address = null, TextWriter? log = null)
    {
        _engine = engine;
        _log = log;
        _listener = new TcpListener(address ?? IPAddress.Loopback, port);
    }

    public CacheEngine Engine => _engine;

    /// <summary>The port bound (useful with port 0).</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int CurrentConnections => _connections.Count;

    public void Start()
    {
        _listener.Start(backlog: 512);
        _acceptLoop = AcceptLoopAsync(_stopping.Token);
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException e)
            {
                _log?.WriteLine($"lucache: accept failed: {e.Message}");
                continue;
            }
            socket.NoDelay = true;
            long id = Interlocked.Increment(ref _nextConnectionId);
            Interlocked.Increment(ref _totalConnections);
            _connections[id] = socket;
            _ = Task.Run(async () =>
            {
                try
                {
                    await new Connection(this, socket).RunAsync(cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    _connections.TryRemove(id, out _);
                    socket.Dispose();
                }
            }, CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested) return;
        _stopping.Cancel();
        _listener.Stop();
        await _acceptLoop.ConfigureAwait(false);
        foreach (var socket in _connections.Values)
        {
            try { socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
            socket.Dispose();
        }
        _stopping.Dispose();
    }

    private sealed class Connection(MemcachedTextServer server, Socket socket)
    {
        private readonly CacheEngine _engine = server._engine;
        private PipeWriter _writer = null!;

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            var stream = new NetworkStream(socket, ownsSocket: false);
            var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4096, leaveOpen: true));
            _writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
            var session = new MemcachedTextSession(_engine, _writer, server._started,
                () => server.CurrentConnections, () => Interlocked.Read(ref server._totalConnections), server._log);
            try
            {
                while (true)
                {
                    var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    var buffer = result.Buffer;
                    bool close = false;
                    long pausedSince = 0;
                    while (true)
                    {
                        var step = session.Process(ref buffer, pausedTimedOut: false);
                        if (step == MemcachedTextStep.NeedMore) break;
                        if (step == MemcachedTextStep.Close) { close = true; break; }
                        if (step == MemcachedTextStep.WritePaused)
                        {
                            // Hold this write (its bytes stay in the pipe) until writes resume or the pause times out.
                            if (pausedSince == 0) pausedSince = _engine.Options.Time.GetTimestamp();
                            await _writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                            try
                            {
                                await _engine.WaitForWritesAsync(pausedSince, cancellationToken).ConfigureAwait(false);
                            }
                            catch (WritesPausedException)
                            {
                                if (session.Process(ref buffer, pausedTimedOut: true) == MemcachedTextStep.Close) { close = true; break; }
                                pausedSince = 0;
                            }
                            continue;
                        }
                        pausedSince = 0;
                    }
                    reader.AdvanceTo(buffer.Start, buffer.End);
                    await _writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                    if (close || result.IsCompleted) break;
                }
            }
            catch (OperationCanceledException) { }
            catch (IOException) { }
            catch (SocketException) { }
            catch (ObjectDisposedException) { }
            catch (Exception e)
            {
                // A bug, not bad input: tell the client, log, drop this connection only.
                server._log?.WriteLine($"lucache: connection failed: {e}");
                try
                {
                    _writer.Write("SERVER_ERROR internal error\r\n"u8);
                    await _writer.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception) { }
            }
            finally
            {
                await reader.CompleteAsync().ConfigureAwait(false);
                await _writer.CompleteAsync().ConfigureAwait(false);
                try { socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
            }
        }
    }
}
