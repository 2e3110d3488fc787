// UpdateLedgerTests: the coordinator owns the update ledger across the kexec. It adopts the
// pending update a version-1 catalog hands over (the golden one), adds the next kernel's
// first events, hands every change to the registry to persist, and gives up on participants
// that never resume within the grace. The registry never reaches the coordinator.
// Reflection inspects the registry's shape; this test runs under the JIT, never trimmed.
#pragma warning disable IL2026, IL2070, IL2075
using System.Reflection;
using LiveUpdate.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;

namespace LiveUpdate.Daemon.Tests;

public sealed class UpdateLedgerTests
{
    private static (SessionRegistry Registry, UpdateCoordinator Coordinator) StartAfterGoldenHandover(LuodTestbed bed)
    {
        var golden = CatalogCodec.Decode(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Golden", "catalog-v1.bin")));
        using (var previousLuod = new CatalogStore(bed.Backend, NoFileDescriptorStore.Instance))
        {
            previousLuod.Save(golden);
            bed.Backend.SimulateKexec();
        }
        var registry = bed.StartRegistry();
        return (registry, new UpdateCoordinator(registry, new RecordingKexec(), FixedPreflight.Go, NullLogger.Instance, "7.3.0-test"));
    }

    [Fact]
    public void The_pending_update_of_a_handed_over_catalog_gains_the_next_kernels_events()
    {
        using var bed = new LuodTestbed();
        var (registry, coordinator) = StartAfterGoldenHandover(bed);
        Assert.True(registry.BootedByHandover);
        var pending = coordinator.PendingUpdate!;
        Assert.Equal("u20261201T090000-4242", pending.UpdateId);
        Assert.Equal("7.3.0-test", pending.NextRelease);
        Assert.Equal(["staged", "prepare", "client.paused", "freeze", "catalog.written", "reboot", "luod.start", "catalog.restored", "sessions.restored"],
            pending.Events.Select(e => e.Name));
        Assert.Equal("3 session(s)", pending.Events[^1].Detail);
        Assert.Equal("u20261130T120000-4100", Assert.Single(coordinator.CompletedUpdates).UpdateId);
        // What the catalog carries is what the coordinator handed over, already persisted.
        Assert.Equal(pending, registry.PendingUpdate);
        Assert.Equal(44, registry.CatalogGeneration);
    }

    [Fact]
    public void A_participant_resuming_completes_the_update_and_the_catalog_keeps_it()
    {
        using var bed = new LuodTestbed();
        var (registry, coordinator) = StartAfterGoldenHandover(bed);
        coordinator.Resumed(LuodTestbed.User(0), "upgrade-db");
        Assert.Null(coordinator.PendingUpdate);
        Assert.Null(registry.PendingUpdate);
        var done = registry.CompletedUpdates[^1];
        Assert.Equal("u20261201T090000-4242", done.UpdateId);
        Assert.Equal(["client.resumed", "finish"], done.Events.TakeLast(2).Select(e => e.Name));
        Assert.Equal("1 participant(s) resumed", done.Events[^1].Detail);

        var again = Assert.Throws<LiveUpdate.Varlink.VarlinkErrorException>(() => coordinator.Resumed(LuodTestbed.User(0), "upgrade-db"));
        Assert.Equal("io.liveupdate.NoUpdateInProgress", again.ErrorName);
    }

    [Fact]
    public void Participants_that_never_resume_are_given_up_after_the_grace()
    {
        using var bed = new LuodTestbed(options => options.OrphanGrace = TimeSpan.FromMinutes(5));
        var (registry, coordinator) = StartAfterGoldenHandover(bed);
        coordinator.ApplyGrace(SessionRegistry.NowNs());
        Assert.NotNull(coordinator.PendingUpdate);

        coordinator.ApplyGrace(SessionRegistry.NowNs() + (long)TimeSpan.FromMinutes(6).TotalNanoseconds);
        Assert.Null(coordinator.PendingUpdate);
        var done = registry.CompletedUpdates[^1];
        Assert.Equal(TimelineEvents.Finish, done.Events[^1].Name);
        Assert.Equal("gave up after 00:05:00: upgrade-db never resumed", done.Events[^1].Detail);
    }

    [Fact]
    public void The_registry_holds_no_reference_to_the_coordinator_or_its_ledger()
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;
        var type = typeof(SessionRegistry);
        var used = type.GetFields(all).Select(f => f.FieldType)
            .Concat(type.GetConstructors(all).SelectMany(c => c.GetParameters()).Select(p => p.ParameterType))
            .Concat(type.GetMethods(all).SelectMany(m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType)));
        Assert.DoesNotContain(typeof(UpdateCoordinator), used);
        Assert.DoesNotContain(typeof(UpdateLedger), used);
    }
}
