// VmUpdateTests: luqemu's VM through an update of luod's in-process fake machine, with the host's
// real QEMU: the vCPUs pause at freeze, the device state goes into a preserved memfd, QEMU quits,
// the fake kexec hands the sessions over, and a new luqemu resumes the same VM on the same RAM —
// same boot id, ticks that go on, the seeded region intact, the RAM's SHA-256 unchanged.
// A cancelled update after freeze restarts QEMU from the saved state in the same kernel.
using LiveUpdate.Client;
using LiveUpdate.GuestContract;
using LiveUpdate.Testing;

namespace LuQemu.Tests;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class VmUpdateTests(VmFixture fixture) : IClassFixture<VmFixture>
{
    private const string Name = "vm";

    [Fact]
    public async Task The_VM_resumes_in_the_next_kernel_with_its_RAM_and_uptime()
    {
        using var machine = new LuodTestbed();
        var luod = InProcessLuod.Start(machine);
        var run = RunDirectory.Create(Path.Combine(fixture.Directory, "resume"));
        var log = new StringWriter();
        string before;
        DateTimeOffset stoppedAt;
        await using (var client = await luod.ConnectAsync())
        {
            await using var keeper = new VmKeeper(client, Name, fixture.Vm(64), run, verifyRam: true, echoConsole: false, TextWriter.Synchronized(log));
            Assert.Contains("booted cold", await keeper.StartAsync(CancellationToken.None));
            var participant = new VmUpdateParticipant(keeper, TextWriter.Synchronized(log));
            await using var subscription = await client.SubscribeAsync(Name, participant);
            await WaitForTicksAsync(run, 3);
            await luod.RequestUpdateAsync();
            Assert.True(keeper.StateSaved, log.ToString());
            Assert.Null(keeper.Qemu);
            stoppedAt = participant.PausedAt ?? throw new Xunit.Sdk.XunitException("no QMP STOP time after freeze");
            before = await File.ReadAllTextAsync(run.ConsoleLog);
        }
        var beforeConsole = VmGuestConsole.Parse(before);
        string seeded = Assert.Single(beforeConsole.Seeds).Sha256;

        await using var next = await luod.KexecAsync();
        var nextRun = RunDirectory.Create(Path.Combine(fixture.Directory, "resume-next"));
        await using var after = await next.ConnectAsync();

        // A resume that fails (here: no QEMU at the path given) loses nothing: it says what was kept, and the next try resumes.
        await using (var broken = new VmKeeper(after, Name, fixture.Vm(64) with { Qemu = "/nonexistent/qemu-system-x86_64" }, nextRun, verifyRam: false, echoConsole: false, TextWriter.Synchronized(log)))
        {
            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => broken.StartAsync(CancellationToken.None));
            Assert.Contains("/nonexistent/qemu-system-x86_64 is missing", failure.Message);
            Assert.Contains("Kept: session vm, claimed but not finished", failure.Message);
        }

        await using var resumed = new VmKeeper(after, Name, fixture.Vm(64), nextRun, verifyRam: true, echoConsole: false, TextWriter.Synchronized(log));
        string account = await resumed.StartAsync(CancellationToken.None);
        Assert.Contains("resumed", account);
        Assert.Contains("equals the one taken after the stop", account);
        await WaitForTicksAsync(nextRun, 30); // one check of the seeded region comes every 25 ticks
        var afterConsole = VmGuestConsole.Parse(await File.ReadAllTextAsync(nextRun.ConsoleLog));
        Assert.Null(VmGuestConsole.ContinuityProblem(beforeConsole, afterConsole, seeded));
        // luod's blackout for "vm" is QEMU's STOP → RESUME, not prepare → Resumed.
        var report = LiveUpdate.Telemetry.UpdateReport.From(FakeKexecClocks.AsAfterARealKexec(Assert.Single(next.Registry.CompletedUpdates)));
        long blackoutNs = Assert.Single(report.Clients, c => c.Client == Name).BlackoutNs!.Value;
        double qmpMs = (resumed.ResumedAt!.Value - stoppedAt).TotalMilliseconds;
        Assert.InRange(blackoutNs / 1e6, qmpMs - 5, qmpMs + 5);
        Assert.Empty(report.Anomalies);
        // The RAM went into a new session, ready for the next update.
        var sessions = await after.ListSessionsAsync();
        Assert.Contains(sessions, s => s.Name == Name);
        await resumed.StopQemuAsync();
    }

    [Fact]
    public async Task A_cancel_after_freeze_restarts_the_VM_from_its_saved_state_in_this_kernel()
    {
        using var machine = new LuodTestbed();
        var luod = InProcessLuod.Start(machine);
        var run = RunDirectory.Create(Path.Combine(fixture.Directory, "cancel"));
        var log = new StringWriter();
        await using var client = await luod.ConnectAsync();
        await using var keeper = new VmKeeper(client, Name, fixture.Vm(64), run, verifyRam: false, echoConsole: false, TextWriter.Synchronized(log));
        await keeper.StartAsync(CancellationToken.None);
        var participant = new VmUpdateParticipant(keeper, TextWriter.Synchronized(log));
        await using var subscription = await client.SubscribeAsync(Name, participant);
        // A second participant refuses freeze after ours has saved and quit (luod asks all at once; it waits a little).
        await using var refuser = await client.SubscribeAsync("refuser", new RefusesFreeze());
        await WaitForTicksAsync(run, 3);
        var beforeConsole = VmGuestConsole.Parse(await File.ReadAllTextAsync(run.ConsoleLog));
        await Assert.ThrowsAnyAsync<Exception>(() => luod.RequestUpdateAsync());
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (keeper.StateSaved || keeper.Qemu is null)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "the VM was not restarted after the cancel: " + log);
            await Task.Delay(50);
        }
        int seen = beforeConsole.Ticks.Count;
        await WaitForTicksAsync(run, seen + 30);
        var all = VmGuestConsole.Parse(await File.ReadAllTextAsync(run.ConsoleLog));
        var later = all with { Ticks = [.. all.Ticks.Skip(seen)], Seeds = [] };
        var earlier = all with { Ticks = [.. all.Ticks.Take(seen)] };
        Assert.Null(VmGuestConsole.ContinuityProblem(earlier, later, Assert.Single(all.Seeds).Sha256));
        Assert.Contains("restarted from its saved device state", log.ToString());
        await keeper.StopQemuAsync();
    }

    private sealed class RefusesFreeze : IUpdateParticipant
    {
        public Task PrepareAsync(UpdateNotice notice, CancellationToken cancellationToken) => Task.CompletedTask;

        public async Task FreezeAsync(UpdateNotice notice, CancellationToken cancellationToken)
        {
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            throw new InvalidOperationException("refusing freeze on purpose");
        }

        public Task ResumeAsync(UpdateNotice notice, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private static async Task WaitForTicksAsync(RunDirectory run, int ticks)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            string text = File.Exists(run.ConsoleLog) ? await File.ReadAllTextAsync(run.ConsoleLog) : "";
            if (VmGuestConsole.Parse(text).Ticks.Count >= ticks) return;
            if (clock.Elapsed > TimeSpan.FromSeconds(120)) throw new TimeoutException($"the VM printed fewer than {ticks} ticks in 120 s: {text}");
            await Task.Delay(100);
        }
    }
}
