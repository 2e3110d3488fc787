// LiveUpdateInterface: the io.liveupdate Varlink methods (LiveUpdate.Protocol's
// io.liveupdate.varlink) mapped onto the SessionRegistry: parameters read into the generated
// records (a parameter that does not fit is org.varlink.service.InvalidParameter), the
// caller's identity taken from SO_PEERCRED (never from the message), replies built from the
// generated records, fds passed back with SCM_RIGHTS.
using System.Runtime.InteropServices;
using LiveUpdate.Kernel;
using LiveUpdate.Protocol;
using LiveUpdate.Varlink;
using Methods = LiveUpdate.Protocol.LiveUpdateProtocol.Methods;

namespace LiveUpdate.Daemon;

public sealed class LiveUpdateInterface(SessionRegistry registry, LuodOptions options, IKexecPerformer kexec, UpdateCoordinator updates)
{
    /// <summary>The interface definition luod serves (GetInterfaceDescription), io.liveupdate.varlink verbatim.</summary>
    public static string Description => LiveUpdateProtocol.Description;

    private static LiveUpdateProtocolJson Json => LiveUpdateProtocolJson.Default;

    public VarlinkInterface Build() => new VarlinkInterface(Description)
        .AddMethod(Methods.CreateSession, CreateSessionAsync)
        .AddMethod(Methods.Preserve, PreserveAsync, new VarlinkMethodOptions { MaxFileDescriptors = 1 })
        .AddMethod(Methods.SetMetadata, SetMetadataAsync)
        .AddMethod(Methods.ListSessions, ListSessionsAsync)
        .AddMethod(Methods.Claim, ClaimAsync)
        .AddMethod(Methods.Finish, FinishAsync)
        .AddMethod(Methods.Release, ReleaseAsync)
        .AddMethod(Methods.Kexec, KexecAsync)
        .AddMethod(Methods.GetStatus, GetStatusAsync)
        .AddMethod(Methods.Subscribe, SubscribeAsync, new VarlinkMethodOptions { RequiresMore = true })
        .AddMethod(Methods.Acknowledge, AcknowledgeAsync)
        .AddMethod(Methods.Resumed, ResumedAsync)
        .AddMethod(Methods.Update, UpdateAsync)
        .AddMethod(Methods.CancelUpdate, CancelUpdateAsync)
        .AddMethod(Methods.GetUpdates, GetUpdatesAsync)
        .AddMethod(Methods.GetMetrics, GetMetricsAsync);

    private async Task SubscribeAsync(VarlinkCallContext call)
    {
        var peer = Authorize(call);
        var participant = updates.Subscribe(peer, call.ReadParameters(Json.SubscribeParameters).Participant);
        // A participant killed while luod waits for its acknowledgement must cancel the update at once
        // (docs/protocol.md §4.10), not at the deadline: luod does not read this connection while it
        // streams events, so it watches for the hangup (fault matrix, issue 14).
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(call.CancellationToken);
        _ = WatchForHangupAsync(call, participant, watching.Token);
        try
        {
            // An update of this boot that ended without a kexec is named here, so that a participant still
            // frozen for it (its luod died after freeze) resumes (§4.10, StagedKernelMark).
            var subscribed = new UpdateEvent { Event = UpdateEventKind.Subscribed, UpdateId = updates.InterruptedUpdate, Reason = updates.InterruptedUpdateReason };
            await call.NotifyAsync(new SubscribeReply { Event = subscribed }, Json.SubscribeReply);
            await foreach (var update in participant.Events.ReadAllAsync(call.CancellationToken))
                await call.NotifyAsync(new SubscribeReply { Event = update }, Json.SubscribeReply);
        }
        catch (OperationCanceledException) when (call.CancellationToken.IsCancellationRequested)
        {
            // luod stops: the connection closes without a last event. A final "resume" here would resume a
            // frozen participant while systemd performs the kexec; the SDK resumes one in prepare by itself.
            throw;
        }
        catch (Exception error) when (error is OperationCanceledException or IOException or LiveUpdate.Kernel.Errors.LiveUpdateException or ObjectDisposedException)
        {
            // The participant's connection closed: it no longer takes part.
        }
        finally
        {
            watching.Cancel();
            updates.Unsubscribe(participant);
        }
        if (!call.HasReplied)
        {
            // The last reply: luod ended this subscription (a newer Subscribe of the participant replaced it,
            // or its connection closed). Not an update's resume: no update waits on a replaced subscription.
            var ended = new SubscribeReply { Event = new UpdateEvent { Event = UpdateEventKind.Resume, Reason = "subscription ended: replaced by a newer Subscribe of this participant, or its connection closed" } };
            try { await call.ReplyAsync(ended, Json.SubscribeReply); }
            catch (Exception error) when (error is IOException or LiveUpdate.Kernel.Errors.LiveUpdateException or ObjectDisposedException or OperationCanceledException) { }
        }
    }

    private async Task WatchForHangupAsync(VarlinkCallContext call, UpdateParticipant participant, CancellationToken cancellationToken)
    {
        try
        {
            if (await call.WaitUntilCallerClosesAsync(HangupCheckInterval, cancellationToken).ConfigureAwait(false))
                updates.Unsubscribe(participant);
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>How often a subscriber's connection is checked for a hangup.</summary>
    internal static readonly TimeSpan HangupCheckInterval = TimeSpan.FromMilliseconds(200);

    private Task AcknowledgeAsync(VarlinkCallContext call)
    {
        var peer = Authorize(call);
        var parameters = call.ReadParameters(Json.AcknowledgeParameters);
        updates.Acknowledge(peer, parameters.UpdateId, parameters.Participant, parameters.Phase.ToWireName(), parameters.Ok, parameters.Reason, parameters.PausedAtNs);
        return call.ReplyAsync();
    }

    private Task ResumedAsync(VarlinkCallContext call)
    {
        var peer = Authorize(call);
        var parameters = call.ReadParameters(Json.ResumedParameters);
        updates.Resumed(peer, parameters.Participant, parameters.ResumedAtNs);
        return call.ReplyAsync();
    }

    private async Task UpdateAsync(VarlinkCallContext call)
    {
        var peer = Authorize(call);
        if (peer.UserId != 0) throw LuodErrors.PermissionDenied("only root may update the kernel");
        var parameters = call.ReadParameters(Json.UpdateParameters);
        var kexecRequest = CheckKexecRequest(new KexecRequest(parameters.Kernel, parameters.Initrd, parameters.CommandLine, parameters.ReuseCommandLine ?? false));
        var timeout = parameters.PrepareTimeoutMs is { } milliseconds
            ? TimeSpan.FromMilliseconds(Math.Max(1, milliseconds))
            : UpdateRequest.DefaultPrepareTimeout;
        var request = new UpdateRequest(kexecRequest, timeout);
        string updateId = await updates.RunAsync(request,
            progress => call.More ? call.NotifyAsync(new UpdateReply { Progress = progress }, Json.UpdateReply) : Task.CompletedTask,
            call.CancellationToken);
        await call.ReplyAsync(new UpdateReply { Progress = UpdateCoordinator.Progress(UpdateProgressPhase.Rebooting, "reboot(LINUX_REBOOT_CMD_KEXEC) called", updateId) },
            Json.UpdateReply);
    }

    private Task CancelUpdateAsync(VarlinkCallContext call)
    {
        var peer = Authorize(call);
        if (peer.UserId != 0) throw LuodErrors.PermissionDenied("only root may cancel an update");
        var parameters = call.ReadParameters(Json.CancelUpdateParameters);
        updates.Cancel(parameters.Reason ?? $"luoctl cancel (pid {peer.ProcessId})");
        return call.ReplyAsync();
    }

    private Task GetUpdatesAsync(VarlinkCallContext call)
    {
        Authorize(call);
        return call.ReplyAsync(new GetUpdatesReply
        {
            Pending = registry.PendingUpdate is { } pending ? LiveUpdate.Telemetry.TelemetryJson.Serialize(pending) : null,
            Completed = [.. registry.CompletedUpdates.Select(LiveUpdate.Telemetry.TelemetryJson.Serialize)],
        }, Json.GetUpdatesReply);
    }

    private Task GetMetricsAsync(VarlinkCallContext call)
    {
        var peer = Authorize(call);
        return call.ReplyAsync(new GetMetricsReply { Metrics = MetricsStateCapture.Capture(registry, updates, options, peer, KernelRelease()) }, Json.GetMetricsReply);
    }

    private static string KernelRelease() => System.IO.File.ReadAllText("/proc/sys/kernel/osrelease").Trim();

    private async Task CreateSessionAsync(VarlinkCallContext call)
    {
        var peer = Authorize(call);
        var parameters = call.ReadParameters(Json.CreateSessionParameters);
        var mode = parameters.Mode == Protocol.SessionMode.Delegated ? CatalogSessionMode.Delegated : CatalogSessionMode.Managed;
        var (session, fd) = registry.Create(peer, parameters.Name, mode, parameters.Metadata);
        var reply = new CreateSessionReply { Session = CustodyWireRecords.ToWire(session), SessionFd = fd is null ? null : 0 };
        // The client hears "created" only once systemd's fd store (if any) holds the session too.
        await registry.FileDescriptorStore.FlushAsync();
        await call.ReplyAsync(reply, Json.CreateSessionReply, fd is null ? null : [fd]);
    }

    private Task PreserveAsync(VarlinkCallContext call)
    {
        var peer = Authorize(call);
        var parameters = call.ReadParameters(Json.PreserveParameters);
        if (parameters.Fd < 0 || parameters.Fd >= call.FileDescriptors.Count) throw VarlinkErrorException.InvalidParameter("fd");
        var file = registry.Preserve(peer, parameters.Session, parameters.Name, call.FileDescriptors[(int)parameters.Fd]);
        return call.ReplyAsync(new PreserveReply { File = CustodyWireRecords.ToWire(file) }, Json.PreserveReply);
    }

    private Task SetMetadataAsync(VarlinkCallContext call)
    {
        var peer = Authorize(call);
        var parameters = call.ReadParameters(Json.SetMetadataParameters);
        registry.SetMetadata(peer, parameters.Session, parameters.Metadata);
        return call.ReplyAsync();
    }

    private Task ListSessionsAsync(VarlinkCallContext call)
    {
        var peer = Authorize(call);
        bool all = call.ReadParameters(Json.ListSessionsParameters).All ?? false;
        var sessions = registry.List(peer, all);
        return call.ReplyAsync(new ListSessionsReply { Sessions = [.. sessions.Select(CustodyWireRecords.ToWire)] }, Json.ListSessionsReply);
    }

    private Task ClaimAsync(VarlinkCallContext call)
    {
        var peer = Authorize(call);
        var (session, sessionFd, files) = updates.Claim(peer, call.ReadParameters(Json.ClaimParameters).Session);
        var info = CustodyWireRecords.ToWire(session);
        if (sessionFd is not null)
            return call.ReplyAsync(new ClaimReply { Session = info, SessionFd = 0 }, Json.ClaimReply, [sessionFd]);
        return ReplyAndCloseAsync(call, new ClaimReply { Session = info, Fds = [.. Enumerable.Range(0, files.Count).Select(i => (long)i)] }, files);
    }

    private static async Task ReplyAndCloseAsync(VarlinkCallContext call, ClaimReply reply, IReadOnlyList<SafeHandle> files)
    {
        try { await call.ReplyAsync(reply, Json.ClaimReply, files); }
        finally { foreach (var file in files) file.Dispose(); }
    }

    private async Task FinishAsync(VarlinkCallContext call)
    {
        var peer = Authorize(call);
        registry.Finish(peer, call.ReadParameters(Json.FinishParameters).Session);
        await registry.FileDescriptorStore.FlushAsync();
        await call.ReplyAsync();
    }

    private async Task ReleaseAsync(VarlinkCallContext call)
    {
        var peer = Authorize(call);
        registry.Release(peer, call.ReadParameters(Json.ReleaseParameters).Session);
        // Released means released: systemd drops its copy before the client hears so.
        await registry.FileDescriptorStore.FlushAsync();
        await call.ReplyAsync();
    }

    private async Task KexecAsync(VarlinkCallContext call)
    {
        var peer = Authorize(call);
        if (peer.UserId != 0) throw LuodErrors.PermissionDenied("only root may reboot the machine into another kernel");
        var parameters = call.ReadParameters(Json.KexecParameters);
        var request = CheckKexecRequest(new KexecRequest(parameters.Kernel, parameters.Initrd, parameters.CommandLine, parameters.ReuseCommandLine ?? false));
        // Load first: a kernel that cannot be loaded is an error the client hears, not a log line.
        try { kexec.Load(request); }
        catch (LiveUpdate.Kernel.Errors.LiveUpdateException error) { throw LuodErrors.Kernel(error); }
        await call.ReplyAsync();
        await kexec.RebootAsync();
    }

    /// <summary>
    /// Exactly one of a command line and reuseCommandLine, and files kexec_file_load can read:
    /// a bad path is refused here, before any participant is asked to pause, with the file and the fix.
    /// </summary>
    private static KexecRequest CheckKexecRequest(KexecRequest request)
    {
        if (request.CommandLine is null == !request.ReuseCommandLine) throw VarlinkErrorException.InvalidParameter("commandLine");
        try { KexecImageFile.Check(request.Kernel, request.Initrd); }
        catch (LiveUpdate.Kernel.Errors.LiveUpdateException error) { throw LuodErrors.Kernel(error); }
        return request;
    }

    private Task GetStatusAsync(VarlinkCallContext call)
    {
        var peer = Authorize(call);
        var sessions = registry.List(peer, all: peer.UserId == 0);
        return call.ReplyAsync(new GetStatusReply
        {
            Status = new Status
            {
                KernelRelease = System.IO.File.ReadAllText("/proc/sys/kernel/osrelease").Trim(),
                BootedByHandover = registry.BootedByHandover,
                CatalogGeneration = registry.CatalogGeneration,
                Sessions = sessions.Count,
                Orphans = sessions.Count(s => s.State == CustodyState.Orphaned),
                CustodyLost = registry.CustodyLost,
                CustodyLostReason = registry.CustodyLostReason,
            },
        }, Json.GetStatusReply);
    }

    private PeerCredentials Authorize(VarlinkCallContext call)
    {
        var peer = call.Peer;
        if (peer.UserId == 0) return peer;
        bool uidAllowed = options.AllowedUids.Count == 0 || options.AllowedUids.Contains(peer.UserId);
        bool gidAllowed = options.AllowedGids.Count == 0 || options.AllowedGids.Contains(peer.GroupId);
        if (!uidAllowed || !gidAllowed)
            throw LuodErrors.PermissionDenied($"uid {peer.UserId} / gid {peer.GroupId} is not allowed to use luod; add it to AllowedUids/AllowedGids");
        return peer;
    }
}

public sealed record KexecRequest(string Kernel, string? Initrd, string? CommandLine, bool ReuseCommandLine);

/// <summary>Stages the next kernel, then reboots into it; split so the client hears about a load failure.</summary>
public interface IKexecPerformer
{
    void Load(KexecRequest request);

    /// <summary>Unloads a staged kernel (an update was cancelled after staging).</summary>
    void Unload();

    Task RebootAsync();
}
