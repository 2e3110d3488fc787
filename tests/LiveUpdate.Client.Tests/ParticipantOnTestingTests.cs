// ParticipantOnTestingTests: LiveUpdate.Testing used the way an application's own tests would
// (its public API only, as in its README): an IUpdateParticipant that keeps its state in a
// managed session is asked to prepare and freeze by the in-process luod, luod "reboots", and in
// the next kernel the application claims its bytes back and says it has resumed.
using System.Text;

namespace LiveUpdate.Client.Tests;

public sealed class ParticipantOnTestingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>A cache that writes its index into preserved memory when asked to prepare.</summary>
    private sealed class IndexedCache(ManagedSession session) : IUpdateParticipant
    {
        public List<string> Phases { get; } = [];

        public async Task PrepareAsync(UpdateNotice notice, CancellationToken cancellationToken)
        {
            Phases.Add("prepare");
            using var index = PreservedMemory.Create("index", 4096);
            Encoding.ASCII.GetBytes("index: 3 items").CopyTo(index.Memory.Span);
            await session.PreserveAsync("index", index, cancellationToken);
        }

        public Task FreezeAsync(UpdateNotice notice, CancellationToken cancellationToken)
        {
            Phases.Add("freeze");
            return Task.CompletedTask;
        }

        public Task ResumeAsync(UpdateNotice notice, CancellationToken cancellationToken)
        {
            Phases.Add("resume");
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task A_participant_prepares_freezes_and_gets_its_state_back_in_the_next_kernel()
    {
        using var machine = new LuodTestbed();
        var luod = InProcessLuod.Start(machine);
        IndexedCache cache;
        await using (var client = await luod.ConnectAsync())
        {
            cache = new IndexedCache(await client.CreateManagedSessionAsync("cache").WaitAsync(Timeout));
            await using (await client.SubscribeAsync("cache", cache).WaitAsync(Timeout))
            {
                var progress = await luod.RequestUpdateAsync().WaitAsync(Timeout);
                Assert.Equal("rebooting", progress[^1]["phase"]!.GetValue<string>());
            }
        }
        await luod.Kexec.Rebooted.Task.WaitAsync(Timeout);
        Assert.Equal(["prepare", "freeze"], cache.Phases);

        await using var next = await luod.KexecAsync();
        await using var after = await next.ConnectAsync();
        using (var claimed = await after.ClaimManagedAsync("cache").WaitAsync(Timeout))
        using (var index = claimed.Map("index"))
        {
            Assert.StartsWith("index: 3 items", Encoding.ASCII.GetString(index.Memory.Span));
            await claimed.FinishAsync().WaitAsync(Timeout);
        }
        await after.ResumedAsync("cache").WaitAsync(Timeout);
        Assert.Null(next.Registry.PendingUpdate);
    }
}
