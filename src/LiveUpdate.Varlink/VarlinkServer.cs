// VarlinkServer: accepts Varlink connections and dispatches their calls to the registered
// interfaces. Every connection is served concurrently; within one connection calls are
// handled one at a time, in order (the next call is not read before the current one is
// answered), as sd-varlink does. org.varlink.service (GetInfo, GetInterfaceDescription)
// is built in, and the standard errors are answered by the server itself: unknown
// interface, unknown method, declared-but-unimplemented method, a streaming method called
// without "more", descriptors a method does not accept. A handler that throws
// VarlinkErrorException answers with that error; any other exception, or returning
// without a reply, answers io.liveupdate.varlink.InternalError. Protocol violations close
// the offending connection only. Cancelling the token stops accepting, cancels the
// handlers' tokens, closes the connections and waits for them.
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using LiveUpdate.Kernel;
using LiveUpdate.Kernel.Errors;

namespace LiveUpdate.Varlink;

public sealed class VarlinkServer
{
    private readonly List<VarlinkInterface> _interfaces = [];
    private readonly Lock _gate = new();
    private readonly VarlinkServerOptions _options;

    public VarlinkServer(VarlinkServiceInfo info, VarlinkServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(info);
        Info = info;
        _options = options ?? VarlinkServerOptions.Default;
        _options.Connection.Validate();
        _interfaces.Add(VarlinkServiceInterface.Create(this));
    }

    public VarlinkServiceInfo Info { get; }

    /// <summary>The interfaces offered, org.varlink.service first, then in registration order.</summary>
    public IReadOnlyList<string> InterfaceNames
    {
        get { lock (_gate) return [.. _interfaces.Select(i => i.Name)]; }
    }

    public VarlinkServer AddInterface(VarlinkInterface definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        lock (_gate)
        {
            if (_interfaces.Any(i => i.Name == definition.Name))
                throw new ArgumentException($"Interface {definition.Name} is already registered.", nameof(definition));
            _interfaces.Add(definition);
        }
        return this;
    }

    /// <summary>
    /// Listens on <paramref name="socketPath"/> and serves until <paramref name="cancellationToken"/>
    /// is cancelled; then removes the socket file. The socket is bound and listening when this
    /// method returns its task (failures to bind throw <see cref="VarlinkListenException"/> right away).
    /// </summary>
    public Task RunAsync(string socketPath, CancellationToken cancellationToken)
    {
        var listener = UnixListenSocket.Bind(socketPath, _options);
        string path = Path.GetFullPath(socketPath);
        return RunOwnedAsync(listener, path, cancellationToken);
    }

    /// <summary>
    /// Serves an already listening Unix stream socket (e.g. one passed by systemd socket
    /// activation) until <paramref name="cancellationToken"/> is cancelled. The socket stays the caller's.
    /// </summary>
    public async Task RunAsync(Socket listener, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(listener);
        var connections = new ConcurrentDictionary<long, Task>();
        long nextId = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                Socket accepted;
                try
                {
                    accepted = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                catch (SocketException e)
                {
                    // e.g. EMFILE: back off briefly instead of spinning on a failing accept.
                    Log($"Accepting a connection failed: {e.Message}", e);
                    try { await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false); }
                    catch (OperationCanceledException) { break; }
                    continue;
                }

                long id = Interlocked.Increment(ref nextId);
                var serving = ServeAcceptedAsync(accepted, cancellationToken);
                connections[id] = serving;
                _ = serving.ContinueWith(_ => connections.TryRemove(id, out Task? _), CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
        finally
        {
            await Task.WhenAll(connections.Values).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Serves one connection until the peer closes it, it breaks the protocol, or
    /// <paramref name="cancellationToken"/> is cancelled; the connection is disposed at the end.
    /// Never throws: failures go to <see cref="VarlinkServerOptions.Log"/>.
    /// </summary>
    public async Task ServeConnectionAsync(VarlinkConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using (connection)
        {
            PeerCredentials peer;
            try
            {
                peer = connection.PeerCredentials;
            }
            catch (LiveUpdateException e)
            {
                Log($"Dropping a connection whose peer cannot be identified: {e.Message}", e);
                return;
            }

            try
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    VarlinkReceivedMessage? message;
                    try
                    {
                        message = await connection.ReceiveAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                    catch (VarlinkException e)
                    {
                        Log($"Closed the connection of {peer}: {e.Message}", e);
                        break;
                    }
                    if (message is null)
                        break;
                    using (message)
                    {
                        if (!await DispatchAsync(connection, message, peer, cancellationToken).ConfigureAwait(false))
                            break;
                    }
                }
            }
            catch (Exception e)
            {
                Log($"Closed the connection of {peer} after an unexpected failure: {e.Message}", e);
            }
        }
    }

    internal VarlinkInterface? FindInterface(string name)
    {
        lock (_gate)
            return _interfaces.Find(i => i.Name == name);
    }

    private async Task RunOwnedAsync(Socket listener, string path, CancellationToken cancellationToken)
    {
        try
        {
            await RunAsync(listener, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            listener.Dispose();
            UnixListenSocket.Remove(path);
        }
    }

    private Task ServeAcceptedAsync(Socket accepted, CancellationToken cancellationToken)
    {
        VarlinkConnection connection;
        try
        {
            connection = new VarlinkConnection(accepted, _options.Connection);
        }
        catch (ArgumentException e)
        {
            accepted.Dispose();
            Log($"Refused a connection: {e.Message}", e);
            return Task.CompletedTask;
        }
        return Task.Run(() => ServeConnectionAsync(connection, cancellationToken), CancellationToken.None);
    }

    /// <summary>Handles one call; false when the connection cannot go on.</summary>
    private async Task<bool> DispatchAsync(VarlinkConnection connection, VarlinkReceivedMessage message, PeerCredentials peer,
        CancellationToken cancellationToken)
    {
        VarlinkCall call;
        try
        {
            call = VarlinkCall.FromMessage(message.Body);
        }
        catch (VarlinkProtocolException e)
        {
            Log($"Closed the connection of {peer}: {e.Message}", e);
            return false;
        }

        var context = new VarlinkCallContext(connection, call, message.FileDescriptors, peer, cancellationToken);
        try
        {
            if (VarlinkUnicodeCheck.FindParameterWithUnpairedSurrogate(call.Parameters) is { } badParameter)
            {
                message.FileDescriptors.Dispose();
                await context.ReplyErrorAsync(VarlinkServiceErrors.InvalidParameter, new JsonObject
                {
                    ["parameter"] = badParameter,
                    ["reason"] = "It holds an unpaired UTF-16 surrogate escape (e.g. \\ud800 without a low surrogate), which is no Unicode text; send well-formed strings.",
                }).ConfigureAwait(false);
                return !connection.IsClosed;
            }
            if (Resolve(call, message.FileDescriptors.Count, peer, out var method) is { } refusal)
            {
                message.FileDescriptors.Dispose();
                await context.ReplyErrorAsync(refusal.Error, refusal.Parameters).ConfigureAwait(false);
                return true;
            }

            try
            {
                await method!.Handler(context).ConfigureAwait(false);
                if (!context.HasReplied)
                {
                    Log($"The handler of {call.Method} returned without replying (called by {peer}).", null);
                    if (!call.Oneway)
                        await context.ReplyErrorAsync(VarlinkServiceErrors.InternalError,
                            new JsonObject { ["message"] = $"The service's handler of {call.Method} returned without replying." }).ConfigureAwait(false);
                }
            }
            catch (VarlinkErrorException e) when (!context.HasReplied)
            {
                await context.ReplyErrorAsync(e.ErrorName, e.Parameters).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not VarlinkDisconnectedException
                                      && !(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                Log($"The handler of {call.Method} failed (called by {peer}): {e.Message}", e);
                if (!context.HasReplied)
                    await context.ReplyErrorAsync(VarlinkServiceErrors.InternalError,
                        new JsonObject { ["message"] = e.Message }).ConfigureAwait(false);
            }
            return !connection.IsClosed;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        catch (VarlinkException e)
        {
            Log($"Could not answer {call.Method} to {peer}; closing the connection: {e.Message}", e);
            return false;
        }
    }

    private (string Error, JsonObject Parameters)? Resolve(VarlinkCall call, int descriptorCount, PeerCredentials peer, out VarlinkMethod? method)
    {
        method = null;
        string name = call.Method;
        int dot = name.LastIndexOf('.');
        if (dot <= 0 || dot == name.Length - 1)
            return (VarlinkServiceErrors.MethodNotFound, new JsonObject { ["method"] = name });
        string interfaceName = name[..dot];
        string member = name[(dot + 1)..];

        if (FindInterface(interfaceName) is not { } definition)
            return (VarlinkServiceErrors.InterfaceNotFound, new JsonObject { ["interface"] = interfaceName });
        if (!definition.TryGetMethod(member, out method))
            return (definition.Declares(member) ? VarlinkServiceErrors.MethodNotImplemented : VarlinkServiceErrors.MethodNotFound,
                new JsonObject { ["method"] = name });
        if (descriptorCount > method!.Options.MaxFileDescriptors)
        {
            Log($"Refused {name} from {peer}: it brought {descriptorCount} file descriptor(s), the method accepts {method.Options.MaxFileDescriptors}; they were closed.", null);
            method = null;
            return (VarlinkServiceErrors.InvalidParameter, new JsonObject { ["parameter"] = VarlinkServiceErrors.FileDescriptorsParameter });
        }
        if (method.Options.RequiresMore && !call.More)
        {
            method = null;
            return (VarlinkServiceErrors.ExpectedMore, []);
        }
        return null;
    }

    private void Log(string message, Exception? exception) => _options.Log?.Invoke(message, exception);
}
