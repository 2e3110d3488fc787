// VarlinkCallContext: what a method handler sees of one call — the parameters, the file
// descriptors that came with it, who called (SO_PEERCRED) — and how it answers: one final
// reply or error, preceded, for a call made with "more", by any number of intermediate
// replies ("continues": true). For a oneway call nothing is sent (the client expects no
// answer), but the handler may still call the reply methods. A reply with more than 253
// descriptors (SCM_MAX_FD) throws VarlinkTooManyFileDescriptorsException before it counts as
// the answer, so the server answers the call InternalError with that message instead of leaving
// the caller without a reply.
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using LiveUpdate.Kernel;

namespace LiveUpdate.Varlink;

public sealed class VarlinkCallContext
{
    private readonly VarlinkConnection _connection;
    private int _finished;

    internal VarlinkCallContext(VarlinkConnection connection, VarlinkCall call, VarlinkFileDescriptors fileDescriptors,
        PeerCredentials peer, CancellationToken cancellationToken)
    {
        _connection = connection;
        Call = call;
        FileDescriptors = fileDescriptors;
        Peer = peer;
        CancellationToken = cancellationToken;
    }

    public VarlinkCall Call { get; }

    /// <summary>The fully qualified method name.</summary>
    public string Method => Call.Method;

    public JsonObject Parameters => Call.Parameters;

    /// <summary>The client asked for a stream of replies.</summary>
    public bool More => Call.More;

    /// <summary>The client expects no reply.</summary>
    public bool Oneway => Call.Oneway;

    /// <summary>
    /// The descriptors that came with the call. Take (or TakeMemFd) the ones to keep: those
    /// left in the set are closed when the handler returns.
    /// </summary>
    public VarlinkFileDescriptors FileDescriptors { get; }

    /// <summary>The calling process, user and group.</summary>
    public PeerCredentials Peer { get; }

    /// <summary>Cancelled when the server shuts down.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>
    /// For a streaming handler: completes with true once the caller closed its connection, false
    /// when it sent another call instead (see VarlinkConnection.WaitUntilPeerClosesAsync).
    /// </summary>
    public Task<bool> WaitUntilCallerClosesAsync(TimeSpan interval, CancellationToken cancellationToken) =>
        _connection.WaitUntilPeerClosesAsync(interval, cancellationToken);

    /// <summary>The final reply (or error) has been given.</summary>
    public bool HasReplied => Volatile.Read(ref _finished) != 0;

    /// <summary>
    /// The parameters as a <typeparamref name="T"/> (a record of the interface's generated types);
    /// throws org.varlink.service.InvalidParameter naming the parameter that does not fit.
    /// </summary>
    public T ReadParameters<T>(JsonTypeInfo<T> typeInfo) =>
        VarlinkParameters.TryRead(Parameters, typeInfo, out var value, out string? bad) ? value : throw VarlinkErrorException.InvalidParameter(bad);

    /// <summary>The final, successful reply from a typed record.</summary>
    public Task ReplyAsync<T>(T reply, JsonTypeInfo<T> typeInfo, IReadOnlyList<SafeHandle>? fileDescriptors = null) =>
        ReplyAsync(VarlinkParameters.From(reply, typeInfo), fileDescriptors);

    /// <summary>An intermediate reply of a streaming call from a typed record.</summary>
    public Task NotifyAsync<T>(T reply, JsonTypeInfo<T> typeInfo, IReadOnlyList<SafeHandle>? fileDescriptors = null) =>
        NotifyAsync(VarlinkParameters.From(reply, typeInfo), fileDescriptors);

    /// <summary>The final, successful reply. <paramref name="fileDescriptors"/> go with it and remain the handler's to dispose.</summary>
    public Task ReplyAsync(JsonObject? parameters = null, IReadOnlyList<SafeHandle>? fileDescriptors = null)
    {
        // Checked before the call counts as answered, so the server can still answer it (InternalError naming the limit).
        if (!Oneway) VarlinkTooManyFileDescriptorsException.ThrowIfTooMany(fileDescriptors);
        Finish();
        return SendAsync(new VarlinkReply(parameters), fileDescriptors);
    }

    /// <summary>An intermediate reply of a streaming call ("continues": true); the final one follows with <see cref="ReplyAsync"/>.</summary>
    public Task NotifyAsync(JsonObject? parameters = null, IReadOnlyList<SafeHandle>? fileDescriptors = null)
    {
        if (HasReplied)
            throw new InvalidOperationException($"The call to {Method} has already been answered; nothing more can be sent for it.");
        if (!More && !Oneway)
            throw new InvalidOperationException($"The call to {Method} was made without \"more\": it takes exactly one reply. Use ReplyAsync, or declare the method with RequiresMore.");
        if (!Oneway) VarlinkTooManyFileDescriptorsException.ThrowIfTooMany(fileDescriptors);
        return SendAsync(new VarlinkReply(parameters, continues: true), fileDescriptors);
    }

    /// <summary>The final reply as an error, e.g. <c>org.varlink.service.InvalidParameter</c> with <c>{"parameter":"name"}</c>.</summary>
    public Task ReplyErrorAsync(string error, JsonObject? parameters = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(error);
        Finish();
        return SendAsync(new VarlinkReply(parameters, error: error), null);
    }

    /// <summary>The final reply as org.varlink.service.InvalidParameter naming <paramref name="parameter"/>.</summary>
    public Task ReplyInvalidParameterAsync(string parameter) =>
        ReplyErrorAsync(VarlinkServiceErrors.InvalidParameter, new JsonObject { ["parameter"] = parameter });

    private void Finish()
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0)
            throw new InvalidOperationException($"The call to {Method} has already been answered; a call gets exactly one final reply.");
    }

    private Task SendAsync(VarlinkReply reply, IReadOnlyList<SafeHandle>? fileDescriptors) =>
        Oneway ? Task.CompletedTask : _connection.SendAsync(reply, fileDescriptors, CancellationToken);
}
