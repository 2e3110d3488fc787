// LiveUpdateClient: a connection to luod (io.liveupdate over Varlink) with typed methods —
// status, sessions, creating managed or delegated sessions before a kexec, claiming them
// back after it, and for the operator (root) kexec, the orchestrated update with its
// progress, cancel and the update reports. Parameters and replies are LiveUpdate.Protocol's
// generated io.liveupdate records. Calls on one client run one at a time. Varlink cannot cancel a call once
// sent: cancelling a call that waits for its reply closes the connection, and later calls
// throw LuodUnavailableException (connect again).
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json.Serialization.Metadata;
using LiveUpdate.Client.Errors;
using LiveUpdate.Kernel;
using LiveUpdate.Protocol;
using LiveUpdate.Varlink;
using Methods = LiveUpdate.Protocol.LiveUpdateProtocol.Methods;

namespace LiveUpdate.Client;

public sealed class LiveUpdateClient : IAsyncDisposable
{
    /// <summary>Where luod listens unless LUOD_SOCKET says otherwise.</summary>
    public const string DefaultSocketPath = "/run/luod/io.liveupdate";

    /// <summary>The environment variable that overrides <see cref="DefaultSocketPath"/>.</summary>
    public const string SocketEnvironmentVariable = "LUOD_SOCKET";

    private static LiveUpdateProtocolJson Json => LiveUpdateProtocolJson.Default;

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
        using var reply = await CallAsync(Methods.GetStatus, new GetStatusParameters(), Json.GetStatusParameters, null, cancellationToken).ConfigureAwait(false);
        return DaemonStatus.From(Read(reply, Json.GetStatusReply, Methods.GetStatus).Status);
    }

    /// <summary>The caller's sessions; with <paramref name="all"/> (root only) everyone's.</summary>
    public async Task<IReadOnlyList<SessionInfo>> ListSessionsAsync(bool all = false, CancellationToken cancellationToken = default)
    {
        var parameters = new ListSessionsParameters { All = all ? true : null };
        using var reply = await CallAsync(Methods.ListSessions, parameters, Json.ListSessionsParameters, null, cancellationToken).ConfigureAwait(false);
        return [.. Read(reply, Json.ListSessionsReply, Methods.ListSessions).Sessions.Select(SessionInfo.From)];
    }

    /// <summary>Creates a managed session: preserve memfds into it with <see cref="ManagedSession.PreserveAsync(string, MemFd, CancellationToken)"/>.</summary>
    public async Task<ManagedSession> CreateManagedSessionAsync(string name, ReadOnlyMemory<byte>? metadata = null, CancellationToken cancellationToken = default)
    {
        using var reply = await CreateAsync(name, SessionMode.Managed, metadata, cancellationToken).ConfigureAwait(false);
        return new ManagedSession(this, SessionInfo.From(Read(reply, Json.CreateSessionReply, Methods.CreateSession).Session));
    }

    /// <summary>
    /// Creates a delegated session: luod passes the kernel session fd, and the returned
    /// <see cref="DelegatedSession"/> preserves files on it directly. luod keeps its own copy.
    /// </summary>
    public async Task<DelegatedSession> CreateDelegatedSessionAsync(string name, ReadOnlyMemory<byte>? metadata = null, CancellationToken cancellationToken = default)
    {
        using var reply = await CreateAsync(name, SessionMode.Delegated, metadata, cancellationToken).ConfigureAwait(false);
        var created = Read(reply, Json.CreateSessionReply, Methods.CreateSession);
        var session = AdoptSessionFd(reply, created.SessionFd, SessionDirection.Outgoing, "CreateSession");
        return new DelegatedSession(SessionInfo.From(created.Session), session);
    }

    /// <summary>
    /// After a kexec: takes a session back. The result is a <see cref="ClaimedManagedSession"/> or a
    /// <see cref="ClaimedDelegatedSession"/> according to the session's mode. Dispose it when done.
    /// </summary>
    public async Task<ClaimedSession> ClaimAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var reply = await CallAsync(Methods.Claim, new ClaimParameters { Session = name }, Json.ClaimParameters, null, cancellationToken).ConfigureAwait(false);
        var claimed = Read(reply, Json.ClaimReply, Methods.Claim);
        var info = SessionInfo.From(claimed.Session);
        if (info.Mode == SessionMode.Delegated)
            return new ClaimedDelegatedSession(this, info, AdoptSessionFd(reply, claimed.SessionFd, SessionDirection.Incoming, "Claim"));
        return new ClaimedManagedSession(this, info, TakeFiles(info, claimed.Fds ?? [], reply));
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
        using var _ = await CallAsync(Methods.Finish, new FinishParameters { Session = name }, Json.FinishParameters, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Before a kexec: gives the session up; luod closes it and the kernel unpreserves its files.</summary>
    public async Task ReleaseAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var _ = await CallAsync(Methods.Release, new ReleaseParameters { Session = name }, Json.ReleaseParameters, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Replaces the session's metadata blob (at most 64 KiB).</summary>
    public async Task SetMetadataAsync(string name, ReadOnlyMemory<byte> metadata, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var parameters = new SetMetadataParameters { Session = name, Metadata = Convert.ToBase64String(metadata.Span) };
        using var _ = await CallAsync(Methods.SetMetadata, parameters, Json.SetMetadataParameters, null, cancellationToken).ConfigureAwait(false);
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

    /// <summary>After the kexec: <paramref name="participant"/> has its sessions back and serves again (its blackout ends now).</summary>
    public Task ResumedAsync(string participant, CancellationToken cancellationToken = default) =>
        ResumedAsync(participant, null, cancellationToken);

    /// <summary>
    /// After the kexec: <paramref name="participant"/> has its sessions back and serves again — since
    /// <paramref name="resumedAt"/> when given (e.g. a VMM's vCPUs ran again before it could call this), which
    /// ends its blackout in luod's report. luod refuses a moment in the future or before it started in this kernel
    /// (<see cref="Errors.LuodInvalidParameterException"/>).
    /// </summary>
    public async Task ResumedAsync(string participant, DateTimeOffset? resumedAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(participant);
        var parameters = new ResumedParameters { Participant = participant, ResumedAtNs = resumedAt is { } at ? ToRealtimeNs(at) : null };
        using var _ = await CallAsync(Methods.Resumed, parameters, Json.ResumedParameters, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A wall-clock instant as io.liveupdate carries it: CLOCK_REALTIME ns since the Unix epoch.</summary>
    internal static long ToRealtimeNs(DateTimeOffset instant) => (instant.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    /// <summary>
    /// Root only: asks luod to load <paramref name="kernel"/> (kexec_file_load) and reboot into it,
    /// holding every session to the last moment. Give exactly one of <paramref name="commandLine"/>
    /// and <paramref name="reuseCommandLine"/>. Returns once luod accepted; the reboot follows.
    /// </summary>
    public async Task KexecAsync(string kernel, string? initrd, string? commandLine, bool reuseCommandLine, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(kernel);
        var parameters = new KexecParameters { Kernel = kernel, Initrd = initrd, CommandLine = commandLine, ReuseCommandLine = reuseCommandLine };
        using var _ = await CallAsync(Methods.Kexec, parameters, Json.KexecParameters, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Root only: the orchestrated live update — luod checks the next kernel, stages it, has every
    /// participant prepare and freeze, and reboots. Yields luod's progress as it happens; the last
    /// one before the reboot has phase rebooting. A NO-GO is <see cref="LuodPreflightFailedException"/>,
    /// a cancellation <see cref="LuodUpdateCancelledException"/>.
    /// </summary>
    public async IAsyncEnumerable<UpdateProgress> UpdateAsync(string kernel, string? initrd, string? commandLine, bool reuseCommandLine,
        TimeSpan? prepareTimeout = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(kernel);
        var parameters = new UpdateParameters
        {
            Kernel = kernel,
            Initrd = initrd,
            CommandLine = commandLine,
            ReuseCommandLine = reuseCommandLine,
            PrepareTimeoutMs = prepareTimeout is { } timeout ? (long)timeout.TotalMilliseconds : null,
        };
        var replies = _varlink.CallMoreAsync(Methods.Update, VarlinkParameters.From(parameters, Json.UpdateParameters), null, cancellationToken)
            .GetAsyncEnumerator(cancellationToken);
        await using (replies.ConfigureAwait(false))
        {
            while (true)
            {
                VarlinkResult reply;
                try
                {
                    if (!await replies.MoveNextAsync().ConfigureAwait(false)) yield break;
                    reply = replies.Current;
                }
                catch (Exception e) when (Translate(e, Methods.Update) is { } translated)
                {
                    throw translated;
                }
                using (reply) yield return Read(reply, Json.UpdateReply, Methods.Update).Progress;
            }
        }
    }

    /// <summary>Root only: cancels the update in progress (until freeze starts); every participant resumes.</summary>
    public async Task CancelUpdateAsync(string? reason = null, CancellationToken cancellationToken = default)
    {
        using var _ = await CallAsync(Methods.CancelUpdate, new CancelUpdateParameters { Reason = reason }, Json.CancelUpdateParameters, null, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>The timelines of the last updates as JSON text (docs/telemetry.md): the one still pending, then the completed ones, newest last.</summary>
    public async Task<GetUpdatesReply> GetUpdatesAsync(CancellationToken cancellationToken = default)
    {
        using var reply = await CallAsync(Methods.GetUpdates, new GetUpdatesParameters(), Json.GetUpdatesParameters, null, cancellationToken).ConfigureAwait(false);
        return Read(reply, Json.GetUpdatesReply, Methods.GetUpdates);
    }

    /// <summary>What luod's metrics are made of besides the updates (docs/telemetry.md "Metrics"): sessions per owner (the caller's own unless root), custody, orphans, the last preflight, the kexec count.</summary>
    public async Task<MetricsState> GetMetricsAsync(CancellationToken cancellationToken = default)
    {
        using var reply = await CallAsync(Methods.GetMetrics, new GetMetricsParameters(), Json.GetMetricsParameters, null, cancellationToken).ConfigureAwait(false);
        return Read(reply, Json.GetMetricsReply, Methods.GetMetrics).Metrics;
    }

    /// <summary>
    /// Preserves <paramref name="file"/> (a memfd; the descriptor stays the caller's) in the managed
    /// session <paramref name="session"/> under the file name <paramref name="name"/>.
    /// </summary>
    public async Task<PreservedFileInfo> PreserveAsync(string session, string name, SafeHandle file, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(session);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(file);
        var parameters = new PreserveParameters { Session = session, Name = name, Fd = 0 };
        using var reply = await CallAsync(Methods.Preserve, parameters, Json.PreserveParameters, [file], cancellationToken).ConfigureAwait(false);
        return PreservedFileInfo.From(Read(reply, Json.PreserveReply, Methods.Preserve).File);
    }

    public ValueTask DisposeAsync() => _varlink.DisposeAsync();

    private Task<VarlinkResult> CreateAsync(string name, SessionMode mode, ReadOnlyMemory<byte>? metadata, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var parameters = new CreateSessionParameters { Name = name, Mode = mode, Metadata = metadata is { } blob ? Convert.ToBase64String(blob.Span) : null };
        return CallAsync(Methods.CreateSession, parameters, Json.CreateSessionParameters, null, cancellationToken);
    }

    /// <summary>One io.liveupdate call with every Varlink failure turned into the client's typed exceptions.</summary>
    private async Task<VarlinkResult> CallAsync<T>(string method, T parameters, JsonTypeInfo<T> typeInfo, IReadOnlyList<SafeHandle>? fileDescriptors,
        CancellationToken cancellationToken)
    {
        try
        {
            return await _varlink.CallAsync(method, VarlinkParameters.From(parameters, typeInfo), fileDescriptors, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (Translate(e, method) is { } translated)
        {
            throw translated;
        }
    }

    private Exception? Translate(Exception error, string method) => error switch
    {
        VarlinkErrorException e => LiveUpdateClientException.FromReply(e),
        VarlinkProtocolException e => new LuodProtocolException($"luod's answer to {method} was not valid Varlink: {e.Message}", e),
        VarlinkException or ObjectDisposedException or IOException or System.Net.Sockets.SocketException => LuodUnavailableException.Disconnected(SocketPath, error),
        _ => null,
    };

    /// <summary>The reply as its generated record; a reply of another shape is a <see cref="LuodProtocolException"/>.</summary>
    private static T Read<T>(VarlinkResult reply, JsonTypeInfo<T> typeInfo, string method) =>
        VarlinkParameters.TryRead(reply.Parameters, typeInfo, out var value, out string? bad) ? value
            : throw new LuodProtocolException($"luod's {method} reply lacks '{bad}' or has it in another shape than io.liveupdate declares; is luod a different version of LiveUpdate than this client?");

    private static LiveUpdateSession AdoptSessionFd(VarlinkResult reply, long? sessionFd, SessionDirection direction, string method)
    {
        long index = sessionFd ?? throw new LuodProtocolException($"luod's {method} reply for a delegated session has no 'sessionFd'.");
        if (index < 0 || index >= reply.FileDescriptors.Count)
            throw new LuodProtocolException($"luod's {method} reply names sessionFd {index} but carried {reply.FileDescriptors.Count} descriptor(s).");
        return LiveUpdateSession.Adopt(reply.FileDescriptors.Take((int)index), direction);
    }

    private static Dictionary<string, MemFd> TakeFiles(SessionInfo info, IReadOnlyList<long> indexes, VarlinkResult reply)
    {
        if (indexes.Count != info.Files.Count)
            throw new LuodProtocolException($"luod's Claim reply lists {info.Files.Count} file(s) but {indexes.Count} fd index(es).");
        var files = new Dictionary<string, MemFd>(StringComparer.Ordinal);
        try
        {
            for (int i = 0; i < indexes.Count; i++)
            {
                long index = indexes[i];
                if (index < 0 || index >= reply.FileDescriptors.Count)
                    throw new LuodProtocolException($"luod's Claim reply names fd {index} for '{info.Files[i].Name}' but carried {reply.FileDescriptors.Count} descriptor(s).");
                files.Add(info.Files[i].Name, reply.FileDescriptors.TakeMemFd((int)index));
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
