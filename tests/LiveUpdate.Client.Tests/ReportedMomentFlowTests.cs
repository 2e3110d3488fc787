// ReportedMomentFlowTests: a participant that serves until freeze (a VMM keeps its guest
// running through prepare and stops the vCPUs in freeze) reports when it really paused
// (IUpdateParticipant.PausedAt, sent as pausedAtNs) and when it served again
// (ResumedAsync's resumedAt): luod's report shows exactly that blackout, without an anomaly,
// next to a participant that says nothing (paused at its prepare acknowledgement, as before).
// Moments luod cannot accept are refused as io.liveupdate.InvalidParameter.
using System.Text.Json.Nodes;
using LiveUpdate.Client.Errors;
using LiveUpdate.Telemetry;
using LiveUpdate.Varlink;

namespace LiveUpdate.Client.Tests;

public sealed class ReportedMomentFlowTests
{
    private static readonly TimeSpan Timeout = InProcessLuod.Timeout;

    /// <summary>
    /// Serves through prepare (its guest keeps running), and in freeze stops the vCPUs, saves device state
    /// for <paramref name="freezeWork"/> and acknowledges, saying the pause was <paramref name="pausedBeforeAck"/> ago.
    /// </summary>
    private sealed class ServesUntilFreeze(TimeSpan freezeWork, TimeSpan pausedBeforeAck) : IUpdateParticipant
    {
        public DateTimeOffset? PausedAt { get; private set; }

        public Task PrepareAsync(UpdateNotice notice, CancellationToken cancellationToken) => Task.Delay(100, cancellationToken);

        public async Task FreezeAsync(UpdateNotice notice, CancellationToken cancellationToken)
        {
            await Task.Delay(freezeWork, cancellationToken);
            PausedAt = DateTimeOffset.UtcNow - pausedBeforeAck;
        }

        public Task ResumeAsync(UpdateNotice notice, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>A participant of before PausedAt existed: its acknowledgements are its moments.</summary>
    private sealed class Plain : IUpdateParticipant
    {
        public Task PrepareAsync(UpdateNotice notice, CancellationToken cancellationToken) => Task.CompletedTask;
        public Task FreezeAsync(UpdateNotice notice, CancellationToken cancellationToken) => Task.CompletedTask;
        public Task ResumeAsync(UpdateNotice notice, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private static long RealtimeNs(DateTimeOffset instant) => (instant.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    [Fact]
    public async Task A_vmm_that_pauses_at_freeze_and_resumes_early_gets_that_blackout_in_the_report()
    {
        using var bed = new LuodTestbed();
        var luod = InProcessLuod.Start(bed);
        await using var client = await luod.ConnectAsync();
        var vmm = new ServesUntilFreeze(freezeWork: TimeSpan.FromMilliseconds(400), pausedBeforeAck: TimeSpan.FromMilliseconds(300));
        await using (await client.SubscribeAsync("vmm", vmm).WaitAsync(Timeout))
        await using (await client.SubscribeAsync("cache", new Plain()).WaitAsync(Timeout))
            await luod.RequestUpdateAsync().WaitAsync(Timeout);
        var pausedAt = Assert.IsType<DateTimeOffset>(vmm.PausedAt);

        var beforeKexec = luod.Registry.PendingUpdate!;
        var paused = Assert.Single(beforeKexec.Events, e => e.Name == TimelineEvents.ClientPaused && e.Client == "vmm");
        Assert.Equal(UpdatePhase.Freeze, paused.Phase);
        Assert.Equal(RealtimeNs(pausedAt), paused.Sample!.Value.RealtimeNs);
        Assert.Contains("before its freeze acknowledgement", paused.Detail);
        Assert.Equal(UpdatePhase.Prepare, Assert.Single(beforeKexec.Events, e => e.Name == TimelineEvents.ClientPaused && e.Client == "cache").Phase);

        var next = await luod.KexecAsync();
        await using (next)
        {
            await using var after = await next.ConnectAsync();
            await Task.Delay(300); // the vCPUs run again 200 ms before Resumed, and after luod started
            var resumedAt = DateTimeOffset.UtcNow - TimeSpan.FromMilliseconds(200);
            await after.ResumedAsync("vmm", resumedAt).WaitAsync(Timeout);
            await after.ResumedAsync("cache").WaitAsync(Timeout);

            var report = UpdateReport.From(FakeKexecClocks.AsAfterARealKexec(Assert.Single(next.Registry.CompletedUpdates)));
            Assert.Empty(report.Anomalies);
            var blackout = Assert.Single(report.Clients, c => c.Client == "vmm").BlackoutNs!.Value;
            long expected = RealtimeNs(resumedAt) - RealtimeNs(pausedAt);
            Assert.InRange(blackout, expected - 5_000_000, expected + 5_000_000);
        }
    }

    /// <summary>Prepares once the test lets it; says it paused at a moment the test chose.</summary>
    private sealed class Controlled(DateTimeOffset? pausedAt = null) : IUpdateParticipant
    {
        public TaskCompletionSource<string> Preparing { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Proceed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public DateTimeOffset? PausedAt { get; set; } = pausedAt;

        public async Task PrepareAsync(UpdateNotice notice, CancellationToken cancellationToken)
        {
            Preparing.TrySetResult(notice.UpdateId);
            await Proceed.Task.WaitAsync(cancellationToken);
        }

        public Task FreezeAsync(UpdateNotice notice, CancellationToken cancellationToken) => Task.CompletedTask;
        public Task ResumeAsync(UpdateNotice notice, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    [Fact]
    public async Task Luod_refuses_a_pause_that_is_negative_in_the_future_or_before_prepare_and_still_awaits_the_acknowledgement()
    {
        using var bed = new LuodTestbed();
        await using var luod = InProcessLuod.Start(bed);
        await using var client = await luod.ConnectAsync();
        var participant = new Controlled();
        await using var link = await client.SubscribeAsync("db", participant).WaitAsync(Timeout);
        var update = luod.RequestUpdateAsync();
        string updateId = await participant.Preparing.Task.WaitAsync(Timeout);

        await using var varlink = await VarlinkClient.ConnectAsync(luod.SocketPath);
        async Task<VarlinkErrorException> RefusedAsync(long pausedAtNs) => await Assert.ThrowsAsync<VarlinkErrorException>(async () =>
        {
            using var _ = await varlink.CallAsync(LiveUpdate.Protocol.LiveUpdateProtocol.Methods.Acknowledge, new JsonObject
            {
                ["updateId"] = updateId, ["participant"] = "db", ["phase"] = "prepare", ["ok"] = true, ["pausedAtNs"] = pausedAtNs,
            });
        });
        long now = RealtimeNs(DateTimeOffset.UtcNow);
        foreach (var (moment, why) in new[] { (-5L, "negative"), (now + 5_000_000_000, "in the future"), (now - 60_000_000_000, "before update") })
        {
            var refusal = await RefusedAsync(moment);
            Assert.Equal("io.liveupdate.InvalidParameter", refusal.ErrorName);
            Assert.Equal("pausedAtNs", (string?)refusal.Parameters!["parameter"]);
            Assert.Contains(why, (string?)refusal.Parameters!["reason"]);
        }
        var typed = LiveUpdateClientException.FromReply(await RefusedAsync(-1));
        Assert.Equal("pausedAtNs", Assert.IsType<LuodInvalidParameterException>(typed).Parameter);

        participant.Proceed.SetResult(); // its own acknowledgement is still awaited, and the update goes on
        await update.WaitAsync(Timeout);
        Assert.Equal(1, luod.Kexec.Reboots);
        var paused = Assert.Single(luod.Registry.PendingUpdate!.Events, e => e.Name == TimelineEvents.ClientPaused);
        Assert.Null(paused.Detail); // luod's own moment: nothing was reported
    }

    [Fact]
    public async Task A_pause_luod_refuses_is_dropped_by_the_sdk_and_the_update_goes_on_with_the_acknowledgement_s_moment()
    {
        using var bed = new LuodTestbed();
        await using var luod = InProcessLuod.Start(bed);
        await using var client = await luod.ConnectAsync();
        var clockAhead = new Controlled(DateTimeOffset.UtcNow + TimeSpan.FromMinutes(5));
        clockAhead.Proceed.SetResult();
        await using (await client.SubscribeAsync("skewed", clockAhead).WaitAsync(Timeout))
            await luod.RequestUpdateAsync().WaitAsync(Timeout);
        Assert.Equal(1, luod.Kexec.Reboots);
        var paused = Assert.Single(luod.Registry.PendingUpdate!.Events, e => e.Name == TimelineEvents.ClientPaused);
        Assert.Equal(UpdatePhase.Prepare, paused.Phase);
        Assert.Null(paused.Detail);
    }

    [Fact]
    public async Task A_pause_left_from_an_earlier_update_is_not_sent()
    {
        using var bed = new LuodTestbed();
        await using var luod = InProcessLuod.Start(bed);
        await using var client = await luod.ConnectAsync();
        var stale = new Controlled(DateTimeOffset.UtcNow - TimeSpan.FromSeconds(1));
        stale.Proceed.SetResult();
        await using (await client.SubscribeAsync("stale", stale).WaitAsync(Timeout))
            await luod.RequestUpdateAsync().WaitAsync(Timeout);
        Assert.Null(Assert.Single(luod.Registry.PendingUpdate!.Events, e => e.Name == TimelineEvents.ClientPaused).Detail);
    }

    [Fact]
    public async Task Luod_refuses_a_resume_in_the_future_or_before_it_started_in_this_kernel()
    {
        using var bed = new LuodTestbed();
        var luod = InProcessLuod.Start(bed);
        await using var client = await luod.ConnectAsync();
        await using (await client.SubscribeAsync("vmm", new Plain()).WaitAsync(Timeout))
            await luod.RequestUpdateAsync().WaitAsync(Timeout);
        await using var next = await luod.KexecAsync();
        await using var after = await next.ConnectAsync();

        var future = await Assert.ThrowsAsync<LuodInvalidParameterException>(() => after.ResumedAsync("vmm", DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5)).WaitAsync(Timeout));
        Assert.Equal("resumedAtNs", future.Parameter);
        Assert.Contains("in the future", future.Reason);
        var early = await Assert.ThrowsAsync<LuodInvalidParameterException>(() => after.ResumedAsync("vmm", DateTimeOffset.UtcNow - TimeSpan.FromMinutes(1)).WaitAsync(Timeout));
        Assert.Contains("before luod started in this kernel", early.Reason);
        var negative = await Assert.ThrowsAsync<LuodInvalidParameterException>(() => after.ResumedAsync("vmm", DateTimeOffset.UnixEpoch - TimeSpan.FromSeconds(1)).WaitAsync(Timeout));
        Assert.Contains("negative", negative.Reason);
        Assert.NotNull(next.Registry.PendingUpdate); // nothing recorded

        await after.ResumedAsync("vmm", null).WaitAsync(Timeout);
        var resumed = Assert.Single(Assert.Single(next.Registry.CompletedUpdates).Events, e => e.Name == TimelineEvents.ClientResumed);
        Assert.Null(resumed.Detail);
        Assert.Equal(UpdatePhase.Resume, resumed.Phase);
    }
}
