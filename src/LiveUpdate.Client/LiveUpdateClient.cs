// LiveUpdateClient: a connection to luod (io.liveupdate over Varlink) with typed methods —
// status, sessions, creating managed or delegated sessions before a kexec, claiming them
// back after it. Calls on one client run one at a time. Varlink cannot cancel a call once
// sent: cancelling a call that waits for its reply closes the connection, and later calls
// throw LuodUnavailableException (connect again).
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using LiveUpdate.Client.Errors;
using LiveUpdate.Kernel;
using LiveUpdate.Varlink;

namespace LiveUpdate.Client;

public sealed class LiveUpdateClient : IAsyncDisposable
{
    /// <summary>Where luod listens unless LUOD_SOCKET says otherwise.</summary>
    public const string DefaultSocketPath = "/run/luod/io.liveupdate";

    /// <summary>The environment variable that overrides <see cref="DefaultSocketPath"/>.</summary>
    public const string SocketEnvironmentVariable = "LUOD_SOCKET";

    private const string Interface = "io.liveupdate.";

    private readonly VarlinkClient _varlink;

    private LiveUpdateClient(VarlinkClient varlink, string socketPath)
    {
        _varlink = varlink;
        SocketPath = socketPath;
    }

    /// <summary>The socket this client is connected to.</summary>
    public string SocketPath { get; }

    /// <summary>
    /// Connects to luod at <paramref name="socketPath"/>, or else $LUOD_SOCKET, or else
    /// <see cref="DefaultSocketPath"/>. Throws <see cref="LuodUnavailableException"/> when nothing answers there.
    /// </summary>
    public static async Task<LiveUpdateClient> ConnectAsync(string? socketPath = null, CancellationToken cancellationToken = default)
    {
        string path = !string.IsNullOrEmpty(socketPath) ? socketPath
            : Environment.GetEnvironmentVariable(SocketEnvironmentVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
            : DefaultSocketPath;
        try
        {
            return new LiveUpdateClient(await VarlinkClient.ConnectAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false), path);
        }
        catch (VarlinkException e)
        {
            throw LuodUnavailableException.CannotConnect(path, e);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
        {
            throw LuodUnavailableException.CannotConnect(path, e);
        }
    }

    public async Task<DaemonStatus> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        using var reply = await CallAsync("GetStatus", null, null, cancellationToken).ConfigureAwait(false);
        return DaemonStatus.FromJson(reply.Parameters["status"], "status");
    }

    /// <summary>The caller's sessions; with <paramref name="all"/> (root only) everyone's.</summary>
    public async Task<IReadOnlyList<SessionInfo>> ListSessionsAsync(bool all = false, CancellationToken cancellationToken = default)
    {
        var parameters = all ? new JsonObject { ["all"] = true } : null;
        using var reply = await CallAsync("ListSessions", parameters, null, cancellationToken).ConfigureAwait(false);
        var sessions = reply.Parameters["sessions"] as JsonArray ?? throw new LuodProtocolException("luod's ListSessions reply has no 'sessions' array.");
        return [.. sessions.Select((session, i) => SessionInfo.FromJson(session, $"sessions[{i}]"))];
    }

    /// <summary>Creates a managed session: preserve memfds into it with <see cref="ManagedSession.PreserveAsync(string, MemFd, CancellationToken)"/>.</summary>
    public async Task<ManagedSession> CreateManagedSessionAsync(string name, ReadOnlyMemory<byte>? metadata = null, CancellationToken cancellationToken = default)
    {
        using var reply = await CreateAsync(name, "managed", metadata, cancellationToken).ConfigureAwait(false);
        return new ManagedSession(this, SessionInfo.FromJson(reply.Parameters["session"], "session"));
    }

    /// <summary>
    /// Creates a delegated session: luod passes the kernel session fd, and the returned
    /// <see cref="DelegatedSession"/> preserves files on it directly. luod keeps its own copy.
    /// </summary>
    public async Task<DelegatedSession> CreateDelegatedSessionAsync(string name, ReadOnlyMemory<byte>? metadata = null, CancellationToken cancellationToken = default)
    {
        using var reply = await CreateAsync(name, "delegated", metadata, cancellationToken).ConfigureAwait(false);
        var info = SessionInfo.FromJson(reply.Parameters["session"], "session");
        var session = AdoptSessionFd(reply, SessionDirection.Outgoing, "CreateSession");
        return new DelegatedSession(info, session);
    }

    /// <summary>
    /// After a kexec: takes a session back. The result is a <see cref="ClaimedManagedSession"/> or a
    /// <see cref="ClaimedDelegatedSession"/> according to the session's mode. Dispose it when done.
    /// </summary>
    public async Task<ClaimedSession> ClaimAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var reply = await CallAsync("Claim", new JsonObject { ["session"] = name }, null, cancellationToken).ConfigureAwait(false);
        var info = SessionInfo.FromJson(reply.Parameters["session"], "session");
        if (info.Mode == SessionMode.Delegated)
            return new ClaimedDelegatedSession(this, info, AdoptSessionFd(reply, SessionDirection.Incoming, "Claim"));
        return new ClaimedManagedSession(this, info, TakeFiles(info, reply));
    }

    /// <summary>After a kexec: takes a managed session back with its files. Throws when the session is delegated.</summary>
    public async Task<ClaimedManagedSession> ClaimManagedAsync(string name, CancellationToken cancellationToken = default) =>
        await ClaimAsync(name, cancellationToken).ConfigureAwait(false) switch
        {
            ClaimedManagedSession managed => managed,
            var other => throw WrongMode(other, SessionMode.Managed),
        };

    /// <summary>After a kexec: takes a delegated session back as its incoming session fd. Throws when the session is managed.</summary>
    public async Task<ClaimedDelegatedSession> ClaimDelegatedAsync(string name, CancellationToken cancellationToken = default) =>
        await ClaimAsync(name, cancellationToken).ConfigureAwait(false) switch
        {
            ClaimedDelegatedSession delegated => delegated,
            var other => throw WrongMode(other, SessionMode.Delegated),
        };

    /// <summary>After a claim: tells luod the client has everything; luod finishes the kernel session and forgets it.</summary>
    public async Task FinishAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var _ = await CallAsync("Finish", new JsonObject { ["session"] = name }, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Before a kexec: gives the session up; luod closes it and the kernel unpreserves its files.</summary>
    public async Task ReleaseAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var _ = await CallAsync("Release", new JsonObject { ["session"] = name }, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Replaces the session's metadata blob (at most 64 KiB).</summary>
    public async Task SetMetadataAsync(string name, ReadOnlyMemory<byte> metadata, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var parameters = new JsonObject { ["session"] = name, ["metadata"] = Convert.ToBase64String(metadata.Span) };
        using var _ = await CallAsync("SetMetadata", parameters, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Takes part in luod's orchestrated updates as <paramref name="participant"/> (unique per uid):
    /// luod calls the hooks of <paramref name="hooks"/> on prepare, freeze and resume. Returns
    /// once luod confirmed the subscription. The subscription uses connections of its own.
    /// </summary>
    public Task<UpdateSubscription> SubscribeAsync(string participant, IUpdateParticipant hooks, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(participant);
        ArgumentNullException.ThrowIfNull(hooks);
        return UpdateSubscription.StartAsync(SocketPath, participant, hooks, cancellationToken);
    }

    /// <summary>After the kexec: <paramref name="participant"/> has its sessions back and serves again (its blackout ends).</summary>
    public async Task ResumedAsync(string participant, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(participant);
        using var _ = await CallAsync("Resumed", new JsonObject { ["participant"] = participant }, null, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _varlink.DisposeAsync();

    internal async Task<PreservedFileInfo> PreserveAsync(string session, string name, SafeHandle memfd, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(memfd);
        var parameters = new JsonObject { ["session"] = session, ["name"] = name, ["fd"] = 0 };
        using var reply = await CallAsync("Preserve", parameters, [memfd], cancellationToken).ConfigureAwait(false);
        return PreservedFileInfo.FromJson(reply.Parameters["file"], "file");
    }

    private Task<VarlinkResult> CreateAsync(string name, string mode, ReadOnlyMemory<byte>? metadata, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var parameters = new JsonObject { ["name"] = name, ["mode"] = mode };
        if (metadata is { } blob) parameters["metadata"] = Convert.ToBase64String(blob.Span);
        return CallAsync("CreateSession", parameters, null, cancellationToken);
    }

    /// <summary>One io.liveupdate call with every Varlink failure turned into the client's typed exceptions.</summary>
    private async Task<VarlinkResult> CallAsync(string method, JsonObject? parameters, IReadOnlyList<SafeHandle>? fileDescriptors,
        CancellationToken cancellationToken)
    {
        try
        {
            return await _varlink.CallAsync(Interface + method, parameters, fileDescriptors, cancellationToken).ConfigureAwait(false);
        }
        catch (VarlinkErrorException e)
        {
            throw LiveUpdateClientException.FromReply(e);
        }
        catch (VarlinkProtocolException e)
        {
            throw new LuodProtocolException($"luod's answer to {method} was not valid Varlink: {e.Message}", e);
        }
        catch (VarlinkException e)
        {
            throw LuodUnavailableException.Disconnected(SocketPath, e);
        }
        catch (ObjectDisposedException e)
        {
            throw LuodUnavailableException.Disconnected(SocketPath, e);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            throw LuodUnavailableException.Disconnected(SocketPath, e);
        }
    }

    private static LiveUpdateSession AdoptSessionFd(VarlinkResult reply, SessionDirection direction, string method)
    {
        long index = reply.Parameters["sessionFd"] is JsonValue value && value.TryGetValue(out int i) ? i
            : throw new LuodProtocolException($"luod's {method} reply for a delegated session has no 'sessionFd'.");
        if (index < 0 || index >= reply.FileDescriptors.Count)
            throw new LuodProtocolException($"luod's {method} reply names sessionFd {index} but carried {reply.FileDescriptors.Count} descriptor(s).");
        return LiveUpdateSession.Adopt(reply.FileDescriptors.Take((int)index), direction);
    }

    private static Dictionary<string, MemFd> TakeFiles(SessionInfo info, VarlinkResult reply)
    {
        var indexes = reply.Parameters["fds"] as JsonArray ?? [];
        if (indexes.Count != info.Files.Count)
            throw new LuodProtocolException($"luod's Claim reply lists {info.Files.Count} file(s) but {indexes.Count} fd index(es).");
        var files = new Dictionary<string, MemFd>(StringComparer.Ordinal);
        try
        {
            for (int i = 0; i < indexes.Count; i++)
            {
                int index = indexes[i] is JsonValue value && value.TryGetValue(out int n) ? n
                    : throw new LuodProtocolException($"luod's Claim reply has a malformed fds[{i}].");
                if (index < 0 || index >= reply.FileDescriptors.Count)
                    throw new LuodProtocolException($"luod's Claim reply names fd {index} for '{info.Files[i].Name}' but carried {reply.FileDescriptors.Count} descriptor(s).");
                files.Add(info.Files[i].Name, reply.FileDescriptors.TakeMemFd(index));
            }
            return files;
        }
        catch
        {
            foreach (var memfd in files.Values) memfd.Dispose();
            throw;
        }
    }

    private static LiveUpdateClientException WrongMode(ClaimedSession claimed, SessionMode expected)
    {
        claimed.Dispose();
        return new LiveUpdateClientException(
            $"Session '{claimed.Info.Name}' is {claimed.Info.Mode.ToString().ToLowerInvariant()}, not {expected.ToString().ToLowerInvariant()}; " +
            "luod has now handed it over and its descriptors were closed. Use ClaimAsync when you do not know the mode in advance.");
    }
}
