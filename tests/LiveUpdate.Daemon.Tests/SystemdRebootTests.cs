// SystemdRebootTests: luod and systemd over a real D-Bus (a private dbus-daemon with fake
// org.freedesktop.systemd1 and org.freedesktop.login1 served from the test). RebootBy=Auto
// picks systemd only when systemd started luod with an fd store and is v261 or later; an
// update under systemd asks PID 1 for kexec.target after freeze and the catalog write and never
// reboots by itself; a refused StartUnit fails the update and resumes everyone; a plain
// `systemctl kexec` waits on luod's delay lock until the participants froze and the catalog was
// written, while a reboot releases the lock at once.
using LiveUpdate.Client;
using LiveUpdate.Daemon.Systemd;
using LiveUpdate.Telemetry;
using LiveUpdate.Varlink;
using Microsoft.Extensions.Logging.Abstractions;

namespace LiveUpdate.Daemon.Tests;

public sealed class SystemdRebootTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly SystemdEnvironment UnderSystemd = new(StartedBySystemd: true, FdStoreLimit: 1024);

    private sealed class Participant : IUpdateParticipant
    {
        public List<string> Calls { get; } = [];
        public TaskCompletionSource<string?> Resumed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Froze { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string[] Snapshot() { lock (Calls) return [.. Calls]; }

        public Task PrepareAsync(UpdateNotice notice, CancellationToken cancellationToken) { lock (Calls) Calls.Add("prepare"); return Task.CompletedTask; }

        public Task FreezeAsync(UpdateNotice notice, CancellationToken cancellationToken) { lock (Calls) Calls.Add("freeze"); Froze.TrySetResult(); return Task.CompletedTask; }

        public Task ResumeAsync(UpdateNotice notice, CancellationToken cancellationToken) { lock (Calls) Calls.Add("resume"); Resumed.TrySetResult(notice.Reason); return Task.CompletedTask; }
    }

    /// <summary>luod's registry, coordinator and io.liveupdate socket over a fake device, with the given kexec.</summary>
    private sealed class Luod : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _serving;

        public Luod(LuodTestbed bed, Func<IKexecPerformer> kexec)
        {
            Registry = bed.StartRegistry();
            Kexec = kexec();
            Coordinator = new UpdateCoordinator(Registry, Kexec, FixedPreflight.Go, NullLogger.Instance, "7.2.0-test");
            SocketPath = Path.Combine(bed.Directory, "luod.sock");
            var server = new VarlinkServer(new VarlinkServiceInfo("LiveUpdate", "luod", "test", "https://example.invalid/luod"));
            server.AddInterface(new LiveUpdateInterface(Registry, bed.Options, Kexec, Coordinator).Build());
            _serving = server.RunAsync(SocketPath, _stop.Token);
        }

        public SessionRegistry Registry { get; }
        public IKexecPerformer Kexec { get; }
        public UpdateCoordinator Coordinator { get; }
        public string SocketPath { get; }

        public async Task<LiveUpdateClient> ConnectAsync()
        {
            var deadline = DateTime.UtcNow + Timeout;
            while (true)
            {
                try { return await LiveUpdateClient.ConnectAsync(SocketPath).WaitAsync(Timeout); }
                catch (LiveUpdate.Client.Errors.LuodUnavailableException) when (DateTime.UtcNow < deadline) { await Task.Delay(20); }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _serving.WaitAsync(Timeout);
        }
    }

    private static UpdateRequest Request() =>
        new(new KexecRequest("/boot/vmlinuz-next", null, "console=ttyS0 kho=on liveupdate=on", false), TimeSpan.FromSeconds(10));

    [Theory]
    [InlineData(true, 1024, "261", true)]
    [InlineData(true, 1024, "262.1-1", true)]
    [InlineData(true, 1024, "v261-rc2-7-gabcdef", true)]
    [InlineData(true, 1024, "260", false)]
    [InlineData(true, 1024, "257.6-1", false)]
    [InlineData(true, 0, "262", false)]
    [InlineData(false, 1024, "262", false)]
    public void Auto_chooses_systemd_only_with_the_systemd_environment_and_version_261_or_later(bool started, int fdStore, string version, bool bySystemd)
    {
        var choice = RebootByChoice.Decide(RebootBy.Auto, new SystemdEnvironment(started, fdStore), new SystemdDescription { Version = version }, null);
        Assert.Equal(bySystemd, choice.BySystemd);
        Assert.StartsWith("RebootBy=Auto: ", choice.Reason);
    }

    [Fact]
    public void Luod_and_an_unreachable_systemd_mean_luod_reboots_itself()
    {
        Assert.False(RebootByChoice.Decide(RebootBy.Luod, UnderSystemd, new SystemdDescription { Version = "262" }, null).BySystemd);
        var unreachable = RebootByChoice.Decide(RebootBy.Auto, UnderSystemd, null, "cannot reach systemd over D-Bus (no socket)");
        Assert.False(unreachable.BySystemd);
        Assert.Contains("no socket", unreachable.Reason);
        Assert.True(RebootByChoice.Decide(RebootBy.Systemd, new SystemdEnvironment(false, 0), new SystemdDescription { Version = "250" }, null).BySystemd);
    }

    [Fact]
    public async Task Auto_reads_the_managers_version_and_v262_facts_over_dbus()
    {
        using var bus = await PrivateDbusDaemon.StartAsync();
        var manager = new FakeSystemdManager { Version = "262", KexecsCount = 3, PreviousShutdownStartUsec = 1_700_000_000_000_000 };
        using var served = await bus.ServeAsync(SystemdManagerClient.ServiceName, manager);
        var (choice, client) = await RebootByChoice.ChooseAsync(RebootBy.Auto, UnderSystemd,
            cancellationToken => SystemdManagerClient.ConnectAsync(bus.Address, null, cancellationToken), NullLogger.Instance, CancellationToken.None);
        using (client)
        {
            Assert.True(choice.BySystemd, choice.Reason);
            Assert.NotNull(client);
            Assert.True(client.OnSystemBus);
            Assert.Equal(262, choice.Systemd!.MajorVersion);
            Assert.Equal(3u, choice.Systemd.KexecsCount);
            Assert.Equal(1_700_000_000_000_000ul, choice.Systemd.PreviousShutdownStartUsec);
            Assert.Null(choice.Systemd.PreviousShutdownLateFinishUsec);
        }

        manager.Version = "260";
        manager.KexecsCount = null;
        var (older, olderClient) = await RebootByChoice.ChooseAsync(RebootBy.Auto, UnderSystemd,
            cancellationToken => SystemdManagerClient.ConnectAsync(bus.Address, null, cancellationToken), NullLogger.Instance, CancellationToken.None);
        using (olderClient)
        {
            Assert.False(older.BySystemd);
            Assert.Contains("older than 261", older.Reason);
            Assert.Null(older.Systemd!.KexecsCount);
        }

        var (nobus, none) = await RebootByChoice.ChooseAsync(RebootBy.Auto, UnderSystemd,
            cancellationToken => SystemdManagerClient.ConnectAsync($"unix:path={Path.GetTempPath()}/no-such-bus-{Guid.NewGuid():N}", null, cancellationToken),
            NullLogger.Instance, CancellationToken.None);
        Assert.False(nobus.BySystemd);
        Assert.Null(none);
        Assert.Contains("cannot reach systemd", nobus.Reason);
    }

    [Fact]
    public async Task An_update_under_systemd_asks_for_kexec_target_after_freeze_and_the_catalog_write_and_never_reboots_itself()
    {
        using var bus = await PrivateDbusDaemon.StartAsync();
        var manager = new FakeSystemdManager();
        using var served = await bus.ServeAsync(SystemdManagerClient.ServiceName, manager);
        using var client = await SystemdManagerClient.ConnectAsync(bus.Address, null);
        using var bed = new LuodTestbed();
        using var stopping = new CancellationTokenSource();
        var kernel = new RecordingKexec();
        await using var luod = new Luod(bed, () => new SystemdKexecPerformer(kernel, client, NullLogger.Instance, stopping.Token));
        var participant = new Participant();
        string[]? callsAtStartUnit = null;
        UpdateTimeline? catalogAtStartUnit = null;
        manager.OnStartUnit = () =>
        {
            callsAtStartUnit = participant.Snapshot();
            catalogAtStartUnit = luod.Registry.PendingUpdate;
            stopping.Cancel(); // systemd's job stops luod
        };
        await using var sdk = await luod.ConnectAsync();
        await using (await sdk.SubscribeAsync("cache", participant).WaitAsync(Timeout))
        {
            string updateId = await luod.Coordinator.RunAsync(Request(), _ => Task.CompletedTask, CancellationToken.None).WaitAsync(Timeout);
            Assert.Equal([(SystemdManagerClient.KexecTarget, "replace-irreversibly")], manager.StartUnitCalls);
            Assert.Equal(["prepare", "freeze"], callsAtStartUnit!);
            Assert.NotNull(catalogAtStartUnit);
            Assert.Equal(updateId, catalogAtStartUnit.UpdateId);
            var events = catalogAtStartUnit.Events.Select(e => e.Name).ToList();
            Assert.True(events.IndexOf(TimelineEvents.Freeze) < events.IndexOf(TimelineEvents.CatalogWritten));
            Assert.Contains(TimelineEvents.Reboot, events);
            Assert.Equal(0, kernel.Reboots);
            Assert.Equal("/boot/vmlinuz-next", Assert.Single(kernel.Loaded).Kernel);
            Assert.Equal(0, kernel.Unloads);
        }
    }

    [Fact]
    public async Task A_refused_StartUnit_fails_the_update_and_resumes_the_participants()
    {
        using var bus = await PrivateDbusDaemon.StartAsync();
        var manager = new FakeSystemdManager { StartUnitError = ("org.freedesktop.DBus.Error.AccessDenied", "Access denied") };
        using var served = await bus.ServeAsync(SystemdManagerClient.ServiceName, manager);
        using var client = await SystemdManagerClient.ConnectAsync(bus.Address, null);
        using var bed = new LuodTestbed();
        var kernel = new RecordingKexec();
        await using var luod = new Luod(bed, () => new SystemdKexecPerformer(kernel, client, NullLogger.Instance, CancellationToken.None));
        var participant = new Participant();
        await using var sdk = await luod.ConnectAsync();
        await using (await sdk.SubscribeAsync("cache", participant).WaitAsync(Timeout))
        {
            var error = await Assert.ThrowsAsync<VarlinkErrorException>(() => luod.Coordinator.RunAsync(Request(), _ => Task.CompletedTask, CancellationToken.None).WaitAsync(Timeout));
            Assert.Equal("io.liveupdate.UpdateCancelled", error.ErrorName);
            string reason = await participant.Resumed.Task.WaitAsync(Timeout) ?? "";
            Assert.Contains("asking systemd to kexec failed", reason);
            Assert.Contains("Access denied", reason);
            Assert.Contains("RebootBy=Luod", reason);
            Assert.Equal(["prepare", "freeze", "resume"], participant.Snapshot());
            Assert.Equal(1, kernel.Unloads);
            Assert.Equal(0, kernel.Reboots);
            Assert.Null(luod.Registry.PendingUpdate);
            Assert.Equal(UpdateStage.Idle, luod.Coordinator.Stage);
        }
    }

    [Fact]
    public async Task Systemctl_kexec_waits_on_the_delay_lock_until_participants_froze_and_the_catalog_was_written()
    {
        using var bus = await PrivateDbusDaemon.StartAsync();
        var logind = new FakeLogind();
        using var served = await bus.ServeAsync(ShutdownInhibitor.ServiceName, logind);
        logind.Connection = served;
        using var bed = new LuodTestbed();
        var kernel = new RecordingKexec();
        await using var luod = new Luod(bed, () => kernel);
        await using var inhibitor = await ShutdownInhibitor.TryStartAsync(bus.Address, luod.Coordinator, () => luod.Coordinator.HasParticipants,
            NullLogger.Instance, period: TimeSpan.FromMilliseconds(50), kexecLoaded: () => true);
        Assert.NotNull(inhibitor);
        var participant = new Participant();
        string[]? callsAtRelease = null;
        UpdateTimeline? catalogAtRelease = null;
        logind.OnReleased = () => { callsAtRelease ??= participant.Snapshot(); catalogAtRelease ??= luod.Registry.PendingUpdate; };
        await using var sdk = await luod.ConnectAsync();
        await using (await sdk.SubscribeAsync("vmm", participant).WaitAsync(Timeout))
        {
            var held = await logind.WaitForInhibitorAsync(1, Timeout);
            Assert.Equal(("shutdown", "luod", "delay"), (held.What, held.Who, held.Mode));
            Assert.False(held.Released.IsCompleted);

            logind.EmitPrepareForShutdown(true, "kexec");
            await held.Released.WaitAsync(Timeout);
            Assert.Equal(["prepare", "freeze"], callsAtRelease!);
            Assert.NotNull(catalogAtRelease);
            var staged = Assert.Single(catalogAtRelease.Events, e => e.Name == TimelineEvents.Staged);
            Assert.Contains("kexec_loaded: 1", staged.Detail);
            var reboot = Assert.Single(catalogAtRelease.Events, e => e.Name == TimelineEvents.Reboot);
            Assert.Contains("by systemd", reboot.Detail);
            Assert.Empty(kernel.Loaded);
            Assert.Equal(0, kernel.Reboots);

            // The shutdown is cancelled: participants resume, the pending update is dropped, the lock is taken again.
            logind.EmitPrepareForShutdown(false, "kexec");
            Assert.Contains("cancelled", await participant.Resumed.Task.WaitAsync(Timeout));
            await logind.WaitForInhibitorAsync(2, Timeout);
            Assert.Null(luod.Registry.PendingUpdate);
        }
    }

    [Fact]
    public async Task A_reboot_releases_the_delay_lock_at_once_without_asking_participants()
    {
        using var bus = await PrivateDbusDaemon.StartAsync();
        var logind = new FakeLogind();
        using var served = await bus.ServeAsync(ShutdownInhibitor.ServiceName, logind);
        logind.Connection = served;
        using var bed = new LuodTestbed();
        await using var luod = new Luod(bed, () => new RecordingKexec());
        await using var inhibitor = await ShutdownInhibitor.TryStartAsync(bus.Address, luod.Coordinator, () => luod.Coordinator.HasParticipants,
            NullLogger.Instance, period: TimeSpan.FromMilliseconds(50), kexecLoaded: () => false);
        Assert.NotNull(inhibitor);
        var participant = new Participant();
        await using var sdk = await luod.ConnectAsync();
        await using (await sdk.SubscribeAsync("cache", participant).WaitAsync(Timeout))
        {
            var held = await logind.WaitForInhibitorAsync(1, Timeout);
            logind.EmitPrepareForShutdown(true, "reboot");
            await held.Released.WaitAsync(Timeout);
            Assert.Empty(participant.Snapshot());
            Assert.Null(luod.Registry.PendingUpdate);
            Assert.Equal(UpdateStage.Idle, luod.Coordinator.Stage);
        }
    }

    [Fact]
    public async Task Without_a_bus_or_logind_there_is_no_inhibitor()
    {
        using var bed = new LuodTestbed();
        await using var luod = new Luod(bed, () => new RecordingKexec());
        Assert.Null(await ShutdownInhibitor.TryStartAsync($"unix:path={Path.GetTempPath()}/no-such-bus-{Guid.NewGuid():N}", luod.Coordinator, () => true, NullLogger.Instance));
        using var bus = await PrivateDbusDaemon.StartAsync(); // a bus, but nobody owns org.freedesktop.login1
        Assert.Null(await ShutdownInhibitor.TryStartAsync(bus.Address, luod.Coordinator, () => true, NullLogger.Instance));
    }
}
