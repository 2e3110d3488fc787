// StagedKernelMarkTests: a luod killed in the middle of an update must not leave the next
// kernel loaded for a plain kexec to boot unprepared (found by the fault matrix,
// fault-luod-killed). luod notes the kernel it staged in /run while the update runs; the next
// luod of the same boot unloads it. After a kexec /run is new and nothing is unloaded. Once
// unloaded, the note says so, and every later luod of the boot names the update as ended
// without a kexec (a participant still frozen for it resumes: ResubscribeTests).
using Microsoft.Extensions.Logging.Abstractions;

namespace LiveUpdate.Daemon.Tests;

public sealed class StagedKernelMarkTests
{
    private static readonly TimeSpan Timeout = InProcessLuod.Timeout;

    private sealed class HoldingParticipant(Task hold) : LiveUpdate.Client.IUpdateParticipant
    {
        public TaskCompletionSource Prepared { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public async Task PrepareAsync(LiveUpdate.Client.UpdateNotice notice, CancellationToken cancellationToken)
        {
            Prepared.TrySetResult();
            await hold.WaitAsync(cancellationToken);
        }
        public Task FreezeAsync(LiveUpdate.Client.UpdateNotice notice, CancellationToken cancellationToken) => Task.CompletedTask;
        public Task ResumeAsync(LiveUpdate.Client.UpdateNotice notice, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    [Fact]
    public async Task The_kernel_an_update_staged_is_noted_while_it_runs_and_the_note_goes_with_a_cancel()
    {
        using var bed = new LuodTestbed();
        await using var luod = InProcessLuod.Start(bed);
        await using var client = await luod.ConnectAsync();
        var hold = new TaskCompletionSource();
        var participant = new HoldingParticipant(hold.Task);
        await using var link = await client.SubscribeAsync("holder", participant).WaitAsync(Timeout);
        var update = luod.RequestUpdateAsync(prepareTimeoutMs: 60_000);
        await participant.Prepared.Task.WaitAsync(Timeout);

        string mark = luod.Registry.StagedKernelMarkPath;
        Assert.True(File.Exists(mark));
        Assert.Equal(StandInKernelImage.SharedPath, File.ReadAllLines(mark)[1]);

        await client.CancelUpdateAsync("test").WaitAsync(Timeout);
        hold.SetResult();
        await Assert.ThrowsAnyAsync<Exception>(() => update.WaitAsync(Timeout));
        Assert.Equal(1, luod.Kexec.Unloads);
        // The note stays, saying the kernel is gone: a later luod of this boot tells a participant still frozen
        // for this update that it ended without a kexec, and unloads nothing.
        string updateId = File.ReadAllLines(mark)[0];
        Assert.Equal("unloaded", File.ReadAllLines(mark)[2]);
        await using var next = await luod.RestartInThisBootAsync();
        Assert.Equal(0, next.Kexec.Unloads);
        Assert.Equal(updateId, next.Coordinator.InterruptedUpdate);
        Assert.Contains("cancelled and its kernel unloaded", next.Coordinator.InterruptedUpdateReason);
    }

    [Fact]
    public void A_luod_started_after_one_that_died_mid_update_unloads_the_kernel_it_staged_once()
    {
        using var bed = new LuodTestbed();
        var registry = bed.StartRegistry();
        Directory.CreateDirectory(Path.GetDirectoryName(registry.StagedKernelMarkPath)!);
        File.WriteAllText(registry.StagedKernelMarkPath, "u20261201T230000-187\n/boot/vmlinuz-7.3\n"); // what the killed luod left

        var kexec = new RecordingKexec();
        var coordinator = new UpdateCoordinator(registry, kexec, FixedPreflight.Go, NullLogger.Instance, "7.2.0-test");
        Assert.Equal("u20261201T230000-187", coordinator.InterruptedUpdate);
        Assert.Contains("stopped before the reboot", coordinator.InterruptedUpdateReason);
        Assert.Equal(1, kexec.Unloads);

        // A third luod of the boot still knows the update ended without a kexec, and unloads nothing more.
        var again = new UpdateCoordinator(registry, kexec, FixedPreflight.Go, NullLogger.Instance, "7.2.0-test");
        Assert.Equal("u20261201T230000-187", again.InterruptedUpdate);
        Assert.Equal(1, kexec.Unloads);
    }
}

public sealed class ClaimPersistTests
{
    [Fact]
    public async Task A_claim_reaches_the_custody_record_shortly_after_its_reply()
    {
        // fault-luod-killed: luod SIGKILLed between claim and finish came back from the fd store
        // listing the claimed sessions as restored; the claim is now written ~100 ms after it.
        using var bed = new LuodTestbed();
        var before = InProcessLuod.Start(bed);
        await using (var client = await before.ConnectAsync())
        {
            var session = await client.CreateManagedSessionAsync("db").WaitAsync(InProcessLuod.Timeout);
            using var memory = LiveUpdate.Client.PreservedMemory.Create("x", 16);
            await session.PreserveAsync("x", memory).WaitAsync(InProcessLuod.Timeout);
        }
        await using var after = await before.KexecAsync();
        await using var next = await after.ConnectAsync();
        using (await next.ClaimManagedAsync("db").WaitAsync(InProcessLuod.Timeout)) { }
        CustodyState? recorded = null;
        for (int i = 0; i < 100 && recorded != CustodyState.Claimed; i++)
        {
            await Task.Delay(20);
            recorded = CustodyRecord.TryRead(bed.Options.CustodyRecordPath)?.Sessions.Single().State;
        }
        Assert.Equal(CustodyState.Claimed, recorded);
    }
}
