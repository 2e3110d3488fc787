// UpdateFlowTests: the orchestrated update end to end through the SDK against the real luod
// service (fake device, recorded kexec): two participants prepare and freeze, luod stages,
// writes the timeline into the catalog and reboots; in the next kernel both resume and the
// update's report shows each one's blackout. Every cancel path — a refusal, a participant
// that never answers, the operator's cancel, a NO-GO verdict — resumes everyone, unloads
// what was staged and never reboots.
using System.Text.Json.Nodes;
using LiveUpdate.Telemetry;
using LiveUpdate.Varlink;

namespace LiveUpdate.Client.Tests;

public sealed class UpdateFlowTests
{
    private static readonly TimeSpan Timeout = InProcessLuod.Timeout;

    private static async Task<(List<JsonObject> Progress, VarlinkErrorException? Error)> UpdateAsync(InProcessLuod luod, int prepareTimeoutMs = 10_000)
    {
        await using var varlink = await VarlinkClient.ConnectAsync(luod.SocketPath);
        var progress = new List<JsonObject>();
        try
        {
            await foreach (var reply in varlink.CallMoreAsync("io.liveupdate.Update", new JsonObject
            {
                ["kernel"] = StandInKernelImage.SharedPath, ["commandLine"] = "console=ttyS0 kho=on liveupdate=on", ["prepareTimeoutMs"] = prepareTimeoutMs,
            }))
            {
                using (reply) progress.Add((JsonObject)reply.Parameters["progress"]!.DeepClone());
            }
            return (progress, null);
        }
        catch (VarlinkErrorException error)
        {
            return (progress, error);
        }
    }

    [Fact]
    public async Task A_participant_that_paused_resumes_when_luod_goes_away_during_prepare()
    {
        // Issue 14's fault matrix: luod SIGKILLed during prepare left a paused participant paused
        // for good (no resume event can come). The SDK resumes it when the subscription drops.
        using var bed = new LuodTestbed();
        var luod = InProcessLuod.Start(bed);
        await using var client = await luod.ConnectAsync();
        var holdPrepare = new TaskCompletionSource();
        var paused = new RecordingParticipant();
        var holding = new RecordingParticipant(() => holdPrepare.Task);
        await using var pausedLink = await client.SubscribeAsync("paused", paused).WaitAsync(Timeout);
        await using var holdingLink = await client.SubscribeAsync("holding", holding).WaitAsync(Timeout);
        var update = UpdateAsync(luod, prepareTimeoutMs: 60_000);
        for (int i = 0; i < 500 && !(paused.Calls.Contains("prepare") && holding.Calls.Contains("prepare")); i++) await Task.Delay(10);
        Assert.Equal(["prepare"], paused.Calls);

        await luod.DisposeAsync(); // luod is gone: its connections close, nobody will send resume
        string? reason = await paused.Resumed.Task.WaitAsync(Timeout);
        Assert.Contains("luod's connection closed during prepare", reason);
        Assert.Equal(["prepare", "resume"], paused.Calls);
        Assert.False(pausedLink.Completion.IsCompleted); // the subscription goes on trying to reach a luod (ResubscribeTests)
        holdPrepare.SetResult();
        await Assert.ThrowsAsync<VarlinkDisconnectedException>(() => update.WaitAsync(Timeout)); // the operator hears it too
    }

    [Fact]
    public async Task Two_participants_pause_luod_reboots_and_their_resume_completes_the_report()
    {
        using var bed = new LuodTestbed();
        var luod = InProcessLuod.Start(bed);
        await using var client = await luod.ConnectAsync();
        var cache = new RecordingParticipant();
        var vmm = new RecordingParticipant();
        var arena = await client.CreateManagedSessionAsync("cache").WaitAsync(Timeout);
        using (var memory = PreservedMemory.Create("arena", 4096))
            await arena.PreserveAsync("arena", memory).WaitAsync(Timeout);
        await using (var cacheLink = await client.SubscribeAsync("cache", cache).WaitAsync(Timeout))
        await using (var vmmLink = await client.SubscribeAsync("vmm", vmm).WaitAsync(Timeout))
        {
            var (progress, error) = await UpdateAsync(luod).WaitAsync(Timeout);
            Assert.Null(error);
            Assert.Equal(["check", "staged", "prepare", "paused", "paused", "freeze", "rebooting", "rebooting"],
                progress.Select(p => p["phase"]!.GetValue<string>()));
            Assert.Equal(["prepare", "freeze"], cache.Calls);
            Assert.Equal(["prepare", "freeze"], vmm.Calls);
        }
        Assert.Equal(1, luod.Kexec.Reboots);
        Assert.Equal(StandInKernelImage.SharedPath, Assert.Single(luod.Kexec.Loaded).Kernel);

        var next = await luod.KexecAsync();
        await using (next)
        {
            var pending = next.Registry.PendingUpdate;
            Assert.NotNull(pending);
            Assert.Contains(pending.Events, e => e.Name == TimelineEvents.Reboot && e.Kernel == KernelSide.Previous);
            Assert.Contains(pending.Events, e => e.Name == TimelineEvents.DaemonStart && e.Kernel == KernelSide.Next);
            await using var after = await next.ConnectAsync();
            using (var claimed = await after.ClaimManagedAsync("cache").WaitAsync(Timeout))
                await claimed.FinishAsync().WaitAsync(Timeout);
            await after.ResumedAsync("cache").WaitAsync(Timeout);
            Assert.NotNull(next.Registry.PendingUpdate); // vmm has not resumed yet
            await after.ResumedAsync("vmm").WaitAsync(Timeout);
            Assert.Null(next.Registry.PendingUpdate);
            var done = Assert.Single(next.Registry.CompletedUpdates);
            var report = UpdateReport.From(done);
            Assert.Equal(2, report.Clients.Count);
            Assert.All(report.Clients, c => Assert.True(c.BlackoutNs > 0, $"{c.Client}: blackout {c.BlackoutNs}"));
            Assert.NotNull(report.Clients.Single(c => c.Client == "cache").ClaimedNs); // its session bears its name
            Assert.Null(report.Clients.Single(c => c.Client == "vmm").ClaimedNs);
            var timeline = next.Registry.CompletedUpdates[0].Events.Select(e => e.Name).ToList();
            Assert.True(timeline.IndexOf(TimelineEvents.Staged) < timeline.IndexOf(TimelineEvents.Prepare));
            Assert.True(timeline.IndexOf(TimelineEvents.CatalogWritten) < timeline.IndexOf(TimelineEvents.Reboot));
            Assert.Equal(TimelineEvents.Finish, timeline[^1]);
        }
    }

    [Fact]
    public async Task A_refusal_cancels_every_participant_resumes_and_nothing_reboots()
    {
        using var bed = new LuodTestbed();
        await using var luod = InProcessLuod.Start(bed);
        await using var client = await luod.ConnectAsync();
        var willing = new RecordingParticipant();
        var busy = new RecordingParticipant(() => throw new InvalidOperationException("a backup is running"));
        await using var a = await client.SubscribeAsync("willing", willing).WaitAsync(Timeout);
        await using var b = await client.SubscribeAsync("busy", busy).WaitAsync(Timeout);

        var (_, error) = await UpdateAsync(luod).WaitAsync(Timeout);
        Assert.Equal("io.liveupdate.UpdateCancelled", error?.ErrorName);
        Assert.Contains("a backup is running", error!.Parameters!["reason"]!.GetValue<string>());
        Assert.Contains("a backup is running", await willing.Resumed.Task.WaitAsync(Timeout));
        await busy.Resumed.Task.WaitAsync(Timeout);
        Assert.Equal(0, luod.Kexec.Reboots);
        Assert.Equal(1, luod.Kexec.Unloads);
        Assert.Null(luod.Registry.PendingUpdate);
    }

    [Fact]
    public async Task A_participant_that_never_acknowledges_times_out_and_everyone_resumes()
    {
        using var bed = new LuodTestbed();
        await using var luod = InProcessLuod.Start(bed);
        await using var client = await luod.ConnectAsync();
        var stuck = new RecordingParticipant(() => Task.Delay(System.Threading.Timeout.Infinite));
        await using var link = await client.SubscribeAsync("stuck", stuck).WaitAsync(Timeout);

        var (_, error) = await UpdateAsync(luod, prepareTimeoutMs: 300).WaitAsync(Timeout);
        Assert.Equal("io.liveupdate.UpdateCancelled", error?.ErrorName);
        string reason = error!.Parameters!["reason"]!.GetValue<string>();
        Assert.True(reason.Contains("stuck", StringComparison.Ordinal) && (reason.Contains("did not acknowledge prepare") || reason.Contains("deadline")), reason);
        await stuck.Resumed.Task.WaitAsync(Timeout);
        Assert.Equal(0, luod.Kexec.Reboots);
        Assert.Equal(1, luod.Kexec.Unloads);
    }

    [Fact]
    public async Task A_participant_whose_connection_closes_during_prepare_cancels_at_once_not_at_the_deadline()
    {
        // Found by the fault matrix (fault-participants, issue 14): a SIGKILLed participant held the
        // update until the prepare deadline, because luod heard of the hangup only at its next write.
        using var bed = new LuodTestbed();
        await using var luod = InProcessLuod.Start(bed);
        await using var client = await luod.ConnectAsync();
        var willing = new RecordingParticipant();
        await using var link = await client.SubscribeAsync("willing", willing).WaitAsync(Timeout);
        var dying = await VarlinkClient.ConnectAsync(luod.SocketPath);
        var prepared = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var listening = Task.Run(async () =>
        {
            await foreach (var reply in dying.CallMoreAsync("io.liveupdate.Subscribe", new JsonObject { ["participant"] = "dying" }))
            {
                using (reply)
                {
                    string? kind = reply.Parameters["event"]?["event"]?.GetValue<string>();
                    if (kind == "subscribed") subscribed.TrySetResult();
                    if (kind == "prepare") { prepared.TrySetResult(); return; }
                }
            }
        });
        await subscribed.Task.WaitAsync(Timeout);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var update = UpdateAsync(luod, prepareTimeoutMs: 60_000);
        await prepared.Task.WaitAsync(Timeout);
        await dying.DisposeAsync(); // the participant dies without a word
        var (_, error) = await update.WaitAsync(Timeout);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"cancelled after {clock.Elapsed.TotalSeconds:F1} s: luod waited for the 60 s deadline");
        Assert.Equal("io.liveupdate.UpdateCancelled", error?.ErrorName);
        string reason = error!.Parameters!["reason"]!.GetValue<string>();
        Assert.Contains("dying", reason);
        Assert.Contains("connection", reason);
        await willing.Resumed.Task.WaitAsync(Timeout);
        Assert.Equal(0, luod.Kexec.Reboots);
        Assert.Equal(1, luod.Kexec.Unloads);
        await Task.WhenAny(listening, Task.Delay(Timeout));
    }

    [Fact]
    public async Task The_operator_can_cancel_during_prepare()
    {
        using var bed = new LuodTestbed();
        await using var luod = InProcessLuod.Start(bed);
        await using var client = await luod.ConnectAsync();
        var preparing = new TaskCompletionSource();
        var slow = new RecordingParticipant(async () => { preparing.TrySetResult(); await Task.Delay(System.Threading.Timeout.Infinite); });
        await using var link = await client.SubscribeAsync("slow", slow).WaitAsync(Timeout);

        var update = UpdateAsync(luod);
        await preparing.Task.WaitAsync(Timeout);
        await using (var operatorLink = await VarlinkClient.ConnectAsync(luod.SocketPath))
            (await operatorLink.CallAsync("io.liveupdate.CancelUpdate", new JsonObject { ["reason"] = "maintenance window closed" })).Dispose();
        var (_, error) = await update.WaitAsync(Timeout);
        Assert.Equal("io.liveupdate.UpdateCancelled", error?.ErrorName);
        Assert.Contains("maintenance window closed", await slow.Resumed.Task.WaitAsync(Timeout));
        Assert.Equal(0, luod.Kexec.Reboots);
    }

    [Fact]
    public async Task A_no_go_verdict_stops_before_anything_is_staged_or_paused()
    {
        using var bed = new LuodTestbed();
        await using var luod = InProcessLuod.Start(bed, FixedPreflight.NoGo("luo-abi", "LUO ABI luo-v5 → luo-v6"));
        await using var client = await luod.ConnectAsync();
        var participant = new RecordingParticipant();
        await using var link = await client.SubscribeAsync("cache", participant).WaitAsync(Timeout);

        var (progress, error) = await UpdateAsync(luod).WaitAsync(Timeout);
        Assert.Equal("io.liveupdate.PreflightFailed", error?.ErrorName);
        Assert.Contains("luo-v6", error!.Parameters!["findings"]![0]!.GetValue<string>());
        Assert.Equal("check", Assert.Single(progress)["phase"]!.GetValue<string>());
        Assert.Empty(participant.Calls);
        Assert.Empty(luod.Kexec.Loaded);
        Assert.Equal(0, luod.Kexec.Unloads);
    }

    [Fact]
    public async Task A_kernel_that_cannot_be_loaded_cancels_before_anyone_pauses()
    {
        using var bed = new LuodTestbed();
        await using var luod = InProcessLuod.Start(bed);
        luod.Kexec.LoadFailure = new LiveUpdate.Kernel.Errors.KexecLoadException(LiveUpdate.Kernel.KernelOperation.KexecLoad, 129,
            "kexec_file_load: the kernel image was rejected (EKEYREJECTED): sign it or turn off signature enforcement.");
        await using var client = await luod.ConnectAsync();
        var participant = new RecordingParticipant();
        await using var link = await client.SubscribeAsync("cache", participant).WaitAsync(Timeout);

        var (progress, error) = await UpdateAsync(luod).WaitAsync(Timeout);
        Assert.Equal("io.liveupdate.UpdateCancelled", error?.ErrorName);
        Assert.Contains("EKEYREJECTED", error!.Parameters!["reason"]!.GetValue<string>());
        Assert.Equal(["check"], progress.Select(p => p["phase"]!.GetValue<string>()));
        Assert.Empty(participant.Calls);
        Assert.Equal(0, luod.Kexec.Unloads); // nothing was staged
    }

    [Fact]
    public async Task Cancel_without_an_update_and_a_second_update_at_once_are_refused()
    {
        using var bed = new LuodTestbed();
        await using var luod = InProcessLuod.Start(bed);
        await using var client = await luod.ConnectAsync();
        await using (var operatorLink = await VarlinkClient.ConnectAsync(luod.SocketPath))
        {
            var refused = await Assert.ThrowsAsync<VarlinkErrorException>(() => operatorLink.CallAsync("io.liveupdate.CancelUpdate", new JsonObject()));
            Assert.Equal("io.liveupdate.NoUpdateInProgress", refused.ErrorName);
        }
        var preparing = new TaskCompletionSource();
        var slow = new RecordingParticipant(async () => { preparing.TrySetResult(); await Task.Delay(System.Threading.Timeout.Infinite); });
        await using var link = await client.SubscribeAsync("slow", slow).WaitAsync(Timeout);
        var first = UpdateAsync(luod, prepareTimeoutMs: 3000);
        await preparing.Task.WaitAsync(Timeout);
        var (_, second) = await UpdateAsync(luod).WaitAsync(Timeout);
        Assert.Equal("io.liveupdate.UpdateInProgress", second?.ErrorName);
        Assert.Equal("preparing", second!.Parameters!["phase"]!.GetValue<string>());
        var (_, firstError) = await first.WaitAsync(Timeout);
        Assert.Equal("io.liveupdate.UpdateCancelled", firstError?.ErrorName);
    }
}
