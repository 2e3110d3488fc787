// LiveUpdateInterface: the io.liveupdate Varlink methods (io.liveupdate.varlink) mapped
// onto the SessionRegistry: parameters parsed and checked, the caller's identity taken
// from SO_PEERCRED (never from the message), fds passed back with SCM_RIGHTS.
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using LiveUpdate.Kernel;
using LiveUpdate.Varlink;

namespace LiveUpdate.Daemon;

public sealed class LiveUpdateInterface(SessionRegistry registry, LuodOptions options, IKexecPerformer kexec, UpdateCoordinator updates)
{
    public static string Description { get; } = ReadDescription();

    public VarlinkInterface Build() => new VarlinkInterface(Description)
        .AddMethod("CreateSession", CreateSessionAsync)
        .AddMethod("Preserve", PreserveAsync, new VarlinkMethodOptions { MaxFileDescriptors = 1 })
        .AddMethod("SetMetadata", SetMetadataAsync)
        .AddMethod("ListSessions", ListSessionsAsync)
        .AddMethod("Claim", ClaimAsync)
        .AddMethod("Finish", FinishAsync)
        .AddMethod("Release", ReleaseAsync)
        .AddMethod("Kexec", KexecAsync)
        .AddMethod("GetStatus", GetStatusAsync)
        .AddMethod("Subscribe", SubscribeAsync, new VarlinkMethodOptions { RequiresMore = true })
        .AddMethod("Acknowledge", AcknowledgeAsync)
        .AddMethod("Resumed", ResumedAsync)
        .AddMethod("Update", UpdateAsync)
        .AddMethod("CancelUpdate", CancelUpdateAsync)
        .AddMethod("GetUpdates", GetUpdatesAsync);

    private async Task SubscribeAsync(VarlinkCallContext call)
    {
        var participant = updates.Subscribe(Authorize(call), Required(call, "participant"));
        try
        {
            await call.NotifyAsync(new JsonObject { ["event"] = new JsonObject { ["event"] = "subscribed" } });
            await foreach (var update in participant.Events.ReadAllAsync(call.CancellationToken))
                await call.NotifyAsync(update);
        }
        catch (Exception error) when (error is OperationCanceledException or IOException or LiveUpdate.Kernel.Errors.LiveUpdateException or ObjectDisposedException)
        {
            // The participant's connection closed (or luod stops): it no longer takes part.
        }
        finally
        {
            updates.Unsubscribe(participant);
        }
        if (!call.HasReplied)
        {
            try { await call.ReplyAsync(new JsonObject { ["event"] = new JsonObject { ["event"] = "resume", ["reason"] = "subscription ended" } }); }
            catch (Exception error) when (error is IOException or LiveUpdate.Kernel.Errors.LiveUpdateException or ObjectDisposedException or OperationCanceledException) { }
        }
    }

    private Task AcknowledgeAsync(VarlinkCallContext call)
    {
        string phase = Required(call, "phase");
        if (phase is not ("prepare" or "freeze")) throw VarlinkErrorException.InvalidParameter("phase");
        updates.Acknowledge(Authorize(call), Required(call, "updateId"), Required(call, "participant"), phase, Flag(call, "ok"), Optional(call, "reason"));
        return call.ReplyAsync();
    }

    private Task ResumedAsync(VarlinkCallContext call)
    {
        updates.Resumed(Authorize(call), Required(call, "participant"));
        return call.ReplyAsync();
    }

    private async Task UpdateAsync(VarlinkCallContext call)
    {
        var peer = Authorize(call);
        if (peer.UserId != 0) throw LuodErrors.PermissionDenied("only root may update the kernel");
        var kexecRequest = ReadKexecRequest(call);
        var timeout = call.Parameters["prepareTimeoutMs"] is null
            ? UpdateRequest.DefaultPrepareTimeout
            : TimeSpan.FromMilliseconds(Math.Max(1, Integer(call, "prepareTimeoutMs")));
        var request = new UpdateRequest(kexecRequest, timeout);
        string updateId = await updates.RunAsync(request,
            progress => call.More ? call.NotifyAsync(new JsonObject { ["progress"] = Progress(progress) }) : Task.CompletedTask,
            call.CancellationToken);
        await call.ReplyAsync(new JsonObject { ["progress"] = Progress(new UpdateProgress("rebooting", "reboot(LINUX_REBOOT_CMD_KEXEC) called", updateId)) });
    }

    private static JsonObject Progress(UpdateProgress progress) => new()
    {
        ["phase"] = progress.Phase,
        ["message"] = progress.Message,
        ["updateId"] = progress.UpdateId,
        ["client"] = progress.Client,
        ["findings"] = progress.Findings is null ? null : new JsonArray([.. progress.Findings.Select(f => (JsonNode)f)]),
    };

    private Task CancelUpdateAsync(VarlinkCallContext call)
    {
        var peer = Authorize(call);
        if (peer.UserId != 0) throw LuodErrors.PermissionDenied("only root may cancel an update");
        updates.Cancel(Optional(call, "reason") ?? $"luoctl cancel (pid {peer.ProcessId})");
        return call.ReplyAsync();
    }

    private Task GetUpdatesAsync(VarlinkCallContext call)
    {
        Authorize(call);
        return call.ReplyAsync(new JsonObject
        {
            ["pending"] = registry.PendingUpdate is { } pending ? LiveUpdate.Telemetry.TelemetryJson.Serialize(pending) : null,
            ["completed"] = new JsonArray([.. registry.CompletedUpdates.Select(u => (JsonNode)LiveUpdate.Telemetry.TelemetryJson.Serialize(u))]),
        });
    }

    private async Task CreateSessionAsync(VarlinkCallContext call)
    {
        var peer = Authorize(call);
        string name = Required(call, "name");
        var mode = Required(call, "mode") switch
        {
            "delegated" => SessionMode.Delegated,
            "managed" => SessionMode.Managed,
            _ => throw VarlinkErrorException.InvalidParameter("mode"),
        };
        var (session, fd) = registry.Create(peer, name, mode, Optional(call, "metadata"));
        var reply = new JsonObject { ["session"] = SessionJson.From(session) };
        // The client hears "created" only once systemd's fd store (if any) holds the session too.
        await registry.FileDescriptorStore.FlushAsync();
        if (fd is null) await call.ReplyAsync(reply);
        else
        {
            reply["sessionFd"] = 0;
            await call.ReplyAsync(reply, [fd]);
        }
    }

    private Task PreserveAsync(VarlinkCallContext call)
    {
        var peer = Authorize(call);
        string session = Required(call, "session");
        string name = Required(call, "name");
        int index = Integer(call, "fd");
        if (index < 0 || index >= call.FileDescriptors.Count) throw VarlinkErrorException.InvalidParameter("fd");
        var file = registry.Preserve(peer, session, name, call.FileDescriptors[index]);
        return call.ReplyAsync(new JsonObject { ["file"] = SessionJson.From(file) });
    }

    private Task SetMetadataAsync(VarlinkCallContext call)
    {
        registry.SetMetadata(Authorize(call), Required(call, "session"), Required(call, "metadata"));
        return call.ReplyAsync();
    }

    private Task ListSessionsAsync(VarlinkCallContext call)
    {
        bool all = Flag(call, "all");
        var sessions = registry.List(Authorize(call), all);
        return call.ReplyAsync(new JsonObject { ["sessions"] = new JsonArray([.. sessions.Select(s => (JsonNode)SessionJson.From(s))]) });
    }

    private Task ClaimAsync(VarlinkCallContext call)
    {
        var (session, sessionFd, files) = updates.Claim(Authorize(call), Required(call, "session"));
        var reply = new JsonObject { ["session"] = SessionJson.From(session) };
        if (sessionFd is not null)
        {
            reply["sessionFd"] = 0;
            return call.ReplyAsync(reply, [sessionFd]);
        }
        reply["fds"] = new JsonArray([.. Enumerable.Range(0, files.Count).Select(i => (JsonNode)i)]);
        return ReplyAndCloseAsync(call, reply, files);
    }

    private static async Task ReplyAndCloseAsync(VarlinkCallContext call, JsonObject reply, IReadOnlyList<SafeHandle> files)
    {
        try { await call.ReplyAsync(reply, files); }
        finally { foreach (var file in files) file.Dispose(); }
    }

    private async Task FinishAsync(VarlinkCallContext call)
    {
        registry.Finish(Authorize(call), Required(call, "session"));
        await registry.FileDescriptorStore.FlushAsync();
        await call.ReplyAsync();
    }

    private async Task ReleaseAsync(VarlinkCallContext call)
    {
        registry.Release(Authorize(call), Required(call, "session"));
        // Released means released: systemd drops its copy before the client hears so.
        await registry.FileDescriptorStore.FlushAsync();
        await call.ReplyAsync();
    }

    private async Task KexecAsync(VarlinkCallContext call)
    {
        var peer = Authorize(call);
        if (peer.UserId != 0) throw LuodErrors.PermissionDenied("only root may reboot the machine into another kernel");
        var request = ReadKexecRequest(call);
        // Load first: a kernel that cannot be loaded is an error the client hears, not a log line.
        try { kexec.Load(request); }
        catch (LiveUpdate.Kernel.Errors.LiveUpdateException error) { throw LuodErrors.Kernel(error); }
        await call.ReplyAsync();
        await kexec.RebootAsync();
    }

    private static KexecRequest ReadKexecRequest(VarlinkCallContext call)
    {
        var request = new KexecRequest(Required(call, "kernel"), Optional(call, "initrd"), Optional(call, "commandLine"),
            Flag(call, "reuseCommandLine"));
        if (request.CommandLine is null == !request.ReuseCommandLine)
            throw VarlinkErrorException.InvalidParameter("commandLine");
        return request;
    }

    private Task GetStatusAsync(VarlinkCallContext call)
    {
        var peer = Authorize(call);
        var sessions = registry.List(peer, all: peer.UserId == 0);
        return call.ReplyAsync(new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["kernelRelease"] = File.ReadAllText("/proc/sys/kernel/osrelease").Trim(),
                ["bootedByHandover"] = registry.BootedByHandover,
                ["catalogGeneration"] = registry.CatalogGeneration,
                ["sessions"] = sessions.Count,
                ["orphans"] = sessions.Count(s => s.State == CustodyState.Orphaned),
                ["custodyLost"] = registry.CustodyLost,
                ["custodyLostReason"] = registry.CustodyLostReason,
            },
        });
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

    private static int Integer(VarlinkCallContext call, string name) =>
        call.Parameters[name] is JsonValue value && value.TryGetValue(out int number) ? number : throw VarlinkErrorException.InvalidParameter(name);

    private static bool Flag(VarlinkCallContext call, string name) => call.Parameters[name] switch
    {
        null => false,
        JsonValue value when value.TryGetValue(out bool flag) => flag,
        _ => throw VarlinkErrorException.InvalidParameter(name),
    };

    private static string Required(VarlinkCallContext call, string name) =>
        Optional(call, name) ?? throw VarlinkErrorException.InvalidParameter(name);

    private static string? Optional(VarlinkCallContext call, string name)
    {
        var node = call.Parameters[name];
        if (node is null) return null;
        if (node is JsonValue value && value.TryGetValue(out string? text)) return text;
        throw VarlinkErrorException.InvalidParameter(name);
    }

    private static string ReadDescription()
    {
        using var stream = typeof(LiveUpdateInterface).Assembly.GetManifestResourceStream("io.liveupdate.varlink")
            ?? throw new InvalidOperationException("io.liveupdate.varlink is not embedded in luod");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
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
