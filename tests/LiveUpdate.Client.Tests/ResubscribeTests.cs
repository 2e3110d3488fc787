// ResubscribeTests: a participant outlives its luod. luod restarted by systemd (watchdog, crash,
// upgrade) must still find every participant at its next update, so the SDK reconnects and
// subscribes again by itself. A participant frozen when its luod died before the reboot stays
// frozen — the kexec may be under way — until a luod of this boot says that very update ended
// without a kexec; then it resumes. Both directions are checked: with that word it resumes once,
// without it (or with word of another update) it stays frozen. The fault matrix of issue 14
// found the gap (docs/reliability.md).
using System.Text.Json.Nodes;
using LiveUpdate.Varlink;

namespace LiveUpdate.Client.Tests;

public sealed class ResubscribeTests
{
    private static readonly TimeSpan Timeout = InProcessLuod.Timeout;

    private sealed class Participant : IUpdateParticipant
    {
        private readonly List<string> _calls = [];
        public List<string> Links { get; } = [];
        public TaskCompletionSource<string?> Resumed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public string[] Calls { get { lock (_calls) return [.. _calls]; } }

        public Task PrepareAsync(UpdateNotice notice, CancellationToken cancellationToken) => Record($"prepare {notice.UpdateId}");
        public Task FreezeAsync(UpdateNotice notice, CancellationToken cancellationToken) => Record($"freeze {notice.UpdateId}");
        public Task ResumeAsync(UpdateNotice notice, CancellationToken cancellationToken)
        {
            Resumed.TrySetResult(notice.Reason);
            return Record($"resume {notice.UpdateId}");
        }
        public void ConnectionChanged(bool connected, string detail) { lock (Links) Links.Add($"{(connected ? "up" : "down")}: {detail}"); }

        private Task Record(string call)
        {
            lock (_calls) _calls.Add(call);
            return Task.CompletedTask;
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        for (var deadline = DateTime.UtcNow + Timeout; !condition(); await Task.Delay(10))
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for {what}");
    }

    /// <summary>A participant subscribed on <paramref name="socket"/>, taken through prepare and freeze of update u1 by a luod that then dies (before the reboot).</summary>
    private static async Task<FrozenParticipant> FrozenWhenLuodDiesAsync(string socket, Participant participant)
    {
        var dying = new ScriptedUpdateLuod(socket, runsUpdateId: "u1");
        var client = await LiveUpdateClient.ConnectAsync(socket);
        var link = await client.SubscribeAsync("vmm", participant).WaitAsync(Timeout);
        await dying.Frozen.Task.WaitAsync(Timeout);
        await dying.DisposeAsync(); // killed after the last freeze acknowledgement, before the reboot
        return new FrozenParticipant(client, link);
    }

    private sealed record FrozenParticipant(LiveUpdateClient Client, UpdateSubscription Link) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Link.DisposeAsync();
            await Client.DisposeAsync();
        }
    }

    private static string ScratchSocket() => Path.Combine(Directory.CreateTempSubdirectory("luod-resubscribe-").FullName, "io.liveupdate");

    [Fact]
    public async Task A_participant_subscribes_again_after_luod_restarts_and_takes_part_in_the_next_update()
    {
        using var bed = new LuodTestbed();
        var first = InProcessLuod.Start(bed);
        await using var client = await first.ConnectAsync();
        var cache = new Participant();
        await using var link = await client.SubscribeAsync("cache", cache).WaitAsync(Timeout);

        await using var second = await first.RestartInThisBootAsync(); // luod dies and systemd starts it again
        await WaitForAsync(() => link.Subscriptions == 2 && second.Coordinator.HasParticipants, "the participant to subscribe again");
        Assert.Empty(cache.Calls); // luod's stop sent no "resume" of its own: there was no update
        Assert.False(link.Completion.IsCompleted);
        lock (cache.Links)
        {
            Assert.Contains(cache.Links, line => line.StartsWith("down: luod's connection closed", StringComparison.Ordinal));
            Assert.Contains("up: subscribed again to luod (subscription 2)", cache.Links);
        }

        var progress = await second.RequestUpdateAsync().WaitAsync(Timeout); // the next update asks it to prepare and freeze
        string updateId = progress[^1]["updateId"]!.GetValue<string>();
        Assert.Equal([$"prepare {updateId}", $"freeze {updateId}"], cache.Calls);
        Assert.Equal(1, second.Kexec.Reboots);
    }

    [Fact]
    public async Task A_frozen_participant_whose_luod_died_resumes_when_the_next_luod_says_that_update_ended_without_a_kexec()
    {
        string socket = ScratchSocket();
        var vmm = new Participant();
        await using var frozen = await FrozenWhenLuodDiesAsync(socket, vmm);
        var link = frozen.Link;

        await Task.Delay(300); // no luod at all for a while: still frozen, still trying
        Assert.Equal(["prepare u1", "freeze u1"], vmm.Calls);

        await using var next = new ScriptedUpdateLuod(socket, endedUpdateId: "u1");
        string? reason = await vmm.Resumed.Task.WaitAsync(Timeout);
        Assert.Contains("u1 ended in this boot without a kexec", reason);
        Assert.Equal(["prepare u1", "freeze u1", "resume u1"], vmm.Calls);
        Assert.Equal(2, link.Subscriptions);
        lock (vmm.Links) Assert.Contains(vmm.Links, line => line.Contains("during the freeze of update u1", StringComparison.Ordinal) && line.Contains("staying frozen", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_frozen_participant_stays_frozen_when_the_next_luod_knows_nothing_of_its_update()
    {
        string socket = ScratchSocket();
        var vmm = new Participant();
        await using var frozen = await FrozenWhenLuodDiesAsync(socket, vmm);
        var link = frozen.Link;

        // A luod that knows of no ended update, then one that names another update: neither is word that u1 will not happen.
        await using (var unaware = new ScriptedUpdateLuod(socket))
            await WaitForAsync(() => link.Subscriptions == 2, "the second subscription");
        await using (var other = new ScriptedUpdateLuod(socket, endedUpdateId: "u0"))
            await WaitForAsync(() => link.Subscriptions == 3, "the third subscription");
        await Task.Delay(200);
        Assert.Equal(["prepare u1", "freeze u1"], vmm.Calls);
        Assert.False(vmm.Resumed.Task.IsCompleted);
    }

    [Fact]
    public async Task The_luod_that_unloaded_an_interrupted_update_names_it_in_every_subscribed_event()
    {
        using var bed = new LuodTestbed();
        var first = InProcessLuod.Start(bed);
        // What a luod killed between freeze and reboot leaves in /run: the note of the kernel it staged.
        File.WriteAllText(first.Registry.StagedKernelMarkPath, "u20261202T020000-7\n/boot/vmlinuz-7.3\n");
        await using var second = await first.RestartInThisBootAsync();
        Assert.Equal(1, second.Kexec.Unloads);

        for (int subscriber = 0; subscriber < 2; subscriber++)
        {
            await using var varlink = await VarlinkClient.ConnectAsync(second.SocketPath);
            await using var events = varlink.CallMoreAsync("io.liveupdate.Subscribe", new JsonObject { ["participant"] = $"p{subscriber}" }).GetAsyncEnumerator();
            Assert.True(await events.MoveNextAsync().AsTask().WaitAsync(Timeout));
            using var reply = events.Current;
            var subscribed = reply.Parameters["event"]!.AsObject();
            Assert.Equal("subscribed", subscribed["event"]!.GetValue<string>());
            Assert.Equal("u20261202T020000-7", subscribed["updateId"]!.GetValue<string>());
            Assert.Contains("ended in this boot without a kexec", subscribed["reason"]!.GetValue<string>());
        }
    }

    private sealed class Hanging(bool refuse = false) : IUpdateParticipant
    {
        public TaskCompletionSource Preparing { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource<string?> Resumed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task PrepareAsync(UpdateNotice notice, CancellationToken cancellationToken)
        {
            Preparing.TrySetResult();
            if (refuse) throw new InvalidOperationException("not now");
            try { await Task.Delay(System.Threading.Timeout.Infinite, cancellationToken); }
            catch (OperationCanceledException) { Cancelled.TrySetResult(); throw; }
        }
        public Task FreezeAsync(UpdateNotice notice, CancellationToken cancellationToken) => Task.CompletedTask;
        public Task ResumeAsync(UpdateNotice notice, CancellationToken cancellationToken)
        {
            Resumed.TrySetResult(notice.Reason);
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task A_prepare_hook_still_running_when_luod_dies_is_cancelled_and_the_participant_resumes_at_once()
    {
        string socket = ScratchSocket();
        var dying = new ScriptedUpdateLuod(socket, runsUpdateId: "u2");
        var db = new Hanging();
        await using var client = await LiveUpdateClient.ConnectAsync(socket);
        await using var link = await client.SubscribeAsync("db", db).WaitAsync(Timeout);
        await db.Preparing.Task.WaitAsync(Timeout);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await dying.DisposeAsync();

        await db.Cancelled.Task.WaitAsync(Timeout); // not at the deadline a minute away
        Assert.Contains("luod's connection closed during prepare", await db.Resumed.Task.WaitAsync(Timeout));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"resumed {clock.Elapsed.TotalSeconds:F1} s after luod died");
    }

    [Fact]
    public async Task A_prepare_hook_still_running_when_the_update_is_cancelled_is_cancelled_and_resumed()
    {
        using var bed = new LuodTestbed();
        await using var luod = InProcessLuod.Start(bed);
        await using var client = await luod.ConnectAsync();
        var slow = new Hanging();
        var refuser = new Hanging(refuse: true);
        await using var slowLink = await client.SubscribeAsync("slow", slow).WaitAsync(Timeout);
        await using var refuserLink = await client.SubscribeAsync("refuser", refuser).WaitAsync(Timeout);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var update = luod.RequestUpdateAsync(prepareTimeoutMs: 60_000);

        await Assert.ThrowsAsync<VarlinkErrorException>(() => update.WaitAsync(Timeout)); // refuser cancels it
        await slow.Cancelled.Task.WaitAsync(Timeout); // its hook hears it at once, not at the 60 s deadline
        Assert.Contains("refuser refused prepare: not now", await slow.Resumed.Task.WaitAsync(Timeout));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"slow resumed {clock.Elapsed.TotalSeconds:F1} s after the update began");
    }
}
