// HandoverAbiGoldenTests: the handover ABI's bytes are frozen. The golden samples (Golden/,
// written once by the luod before the ABI refactor) are decoded on every run, every field is
// checked, and re-encoding must give the same bytes — directly, and through the mapping to
// Telemetry's timeline and back (what luod does with a catalog it restores and writes again).
using System.Text;
using LiveUpdate.Telemetry;

namespace LiveUpdate.Daemon.Tests;

public sealed class HandoverAbiGoldenTests
{
    private static byte[] Golden(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Golden", name));

    [Fact]
    public void Golden_catalog_v1_decodes_field_by_field()
    {
        byte[] bytes = Golden("catalog-v1.bin");
        Assert.Equal("LUODCAT\0"u8.ToArray(), bytes[..8]);
        Assert.Equal(1, BitConverter.ToInt32(bytes, 8));
        Assert.Equal(bytes.Length - CatalogFormat.HeaderSize, BitConverter.ToInt32(bytes, 12));

        var catalog = CatalogCodec.Decode(bytes);
        Assert.Equal(42, catalog.Generation);
        Assert.Equal(1764579600450000000, catalog.WrittenNs);
        Assert.Equal("7.2.0-lu", catalog.KernelRelease);
        Assert.Equal(3, catalog.Sessions.Count);

        var db = catalog.Sessions[0];
        Assert.Equal((0u, "upgrade-db", "luod.u0.upgrade-db", CatalogSessionMode.Managed, 1764579000000000000L), (db.Owner, db.Name, db.KernelName, db.Mode, db.CreatedNs));
        Assert.Equal("schema=3;owner=golden", Encoding.UTF8.GetString(Convert.FromBase64String(db.Metadata!)));
        Assert.Equal([new CatalogFile("heap", 1, 65536), new CatalogFile("wal", 2, 12288)], db.Files);
        Assert.Null(db.LostReason);

        var vm = catalog.Sessions[1];
        Assert.Equal((0u, "upgrade-vm", "luod.u0.upgrade-vm", CatalogSessionMode.Delegated, 1764579000500000000L), (vm.Owner, vm.Name, vm.KernelName, vm.Mode, vm.CreatedNs));
        Assert.Null(vm.Metadata);
        Assert.Empty(vm.Files);
        Assert.Null(vm.LostReason);

        var lost = catalog.Sessions[2];
        Assert.Equal((1000u, "cache ünï", "luod.u1000.cache ünï", CatalogSessionMode.Managed, 1764578000000000000L), (lost.Owner, lost.Name, lost.KernelName, lost.Mode, lost.CreatedNs));
        Assert.Null(lost.Metadata);
        Assert.Equal([new CatalogFile("data", 1, 4096)], lost.Files);
        Assert.StartsWith("luod (pid 4100) stopped while holding this session", lost.LostReason);

        var pending = catalog.PendingUpdate!;
        Assert.Equal(("u20261201T090000-4242", "7.2.0-lu", "7.3.0-lu", 0), (pending.UpdateId, pending.PreviousRelease, pending.NextRelease, pending.KexecCount));
        Assert.Equal(new CatalogClockInfo("7.2.0-lu", 2494222000.5, CatalogTscFrequencySource.KernelRefinedCalibration, true, "tsc"), pending.PreviousKernel);
        Assert.Null(pending.NextKernel);
        Assert.Equal(CatalogClockBasis.Tsc, pending.ClockBasis);
        Assert.Equal(
        [
            new("staged", CatalogUpdatePhase.Staged, CatalogKernelSide.Previous, null, new(1764579600000000000, 5000000000, 12470000000000), null, CatalogEventSource.Daemon, "/boot/vmlinuz-7.3"),
            new("prepare", CatalogUpdatePhase.Prepare, CatalogKernelSide.Previous, null, new(1764579600100000000, 5100000000, 12720000000000), null, CatalogEventSource.Daemon, "1 participant(s)"),
            new("client.paused", CatalogUpdatePhase.Prepare, CatalogKernelSide.Previous, "upgrade-db", new(1764579600200000000, 5200000000, 12970000000000), null, CatalogEventSource.Daemon, null),
            new("freeze", CatalogUpdatePhase.Freeze, CatalogKernelSide.Previous, null, new(1764579600300000000, 5300000000, null), null, CatalogEventSource.Daemon, null),
            new("catalog.written", CatalogUpdatePhase.Freeze, CatalogKernelSide.Previous, null, new(1764579600400000000, 5400000000, 13470000000000), null, CatalogEventSource.Daemon, null),
            new CatalogTimelineEvent("reboot", CatalogUpdatePhase.Reboot, CatalogKernelSide.Previous, null, new(1764579600500000000, 5500000000, 13720000000000), null, CatalogEventSource.Daemon, null),
        ], pending.Events);

        var done = Assert.Single(catalog.Updates!);
        Assert.Equal(("u20261130T120000-4100", "7.2.0-lu", "7.2.0-lu", 3), (done.UpdateId, done.PreviousRelease, done.NextRelease, done.KexecCount));
        Assert.Equal(pending.PreviousKernel, done.PreviousKernel);
        Assert.Equal(new CatalogClockInfo("7.3.0-lu", 2494221000, CatalogTscFrequencySource.KernelDetected, false, "kvm-clock"), done.NextKernel);
        Assert.Equal(CatalogClockBasis.RealtimeApproximate, done.ClockBasis);
        Assert.Equal(
        [
            new("reboot", CatalogUpdatePhase.Reboot, CatalogKernelSide.Previous, null, new(1764504000000000000, 9000000000, 22000000000000), null, CatalogEventSource.Daemon, null),
            new("reboot: Restarting system", CatalogUpdatePhase.Reboot, CatalogKernelSide.Previous, null, null, 9100000000, CatalogEventSource.Pstore, null),
            new("kho.found", CatalogUpdatePhase.KernelBoot, CatalogKernelSide.Next, null, null, 120000000, CatalogEventSource.KernelLog, "KHO: found kexec handover data"),
            new("luod.start", CatalogUpdatePhase.Restore, CatalogKernelSide.Next, null, new(1764504002000000000, 1800000000, 4500000000), null, CatalogEventSource.Daemon, null),
            new("client.resumed", CatalogUpdatePhase.Resume, CatalogKernelSide.Next, "cache (uid 1000)", new(1764504003000000000, 2800000000, 7000000000), null, CatalogEventSource.Daemon, null),
            new CatalogTimelineEvent("finish", CatalogUpdatePhase.Finish, CatalogKernelSide.Next, null, new(1764504003100000000, 2900000000, 7250000000), null, CatalogEventSource.Daemon, "1 participant(s) resumed"),
        ], done.Events);
    }

    [Fact]
    public void Golden_catalog_v1_re_encodes_to_the_same_bytes()
    {
        byte[] bytes = Golden("catalog-v1.bin");
        Assert.Equal(bytes, CatalogCodec.Encode(CatalogCodec.Decode(bytes)));
    }

    [Fact]
    public void Golden_catalog_v1_survives_the_mapping_to_telemetry_and_back_byte_for_byte()
    {
        // luod restores the timelines as UpdateTimeline and writes them back as CatalogTimeline;
        // the clock basis it writes is recomputed by Telemetry, and must still be what was read.
        byte[] bytes = Golden("catalog-v1.bin");
        var catalog = CatalogCodec.Decode(bytes);
        UpdateTimeline pending = catalog.PendingUpdate!.ToTelemetry();
        var updates = catalog.Updates!.Select(u => u.ToTelemetry()).ToList();
        Assert.Equal(TscFrequencySourceOf(pending), LiveUpdate.Kernel.TscFrequencySource.KernelRefinedCalibration);
        Assert.Equal(ClockBasis.Tsc, pending.ClockBasis);
        Assert.Equal(ClockBasis.RealtimeApproximate, updates[0].ClockBasis);
        var again = catalog with { PendingUpdate = pending.ToCatalog(), Updates = [.. updates.Select(u => u.ToCatalog())] };
        Assert.Equal(bytes, CatalogCodec.Encode(again));
    }

    private static LiveUpdate.Kernel.TscFrequencySource? TscFrequencySourceOf(UpdateTimeline timeline) => timeline.PreviousKernel?.TscFrequencySource;

    [Fact]
    public void Golden_custody_record_v1_decodes_field_by_field()
    {
        var record = CustodyRecord.Decode(Golden("custody-v1.json"))!;
        Assert.Equal(("6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b", 4242, 1764579600460000000L, true, 42L),
            (record.BootId, record.Pid, record.WrittenNs, record.BootedByHandover, record.CatalogGeneration));
        Assert.Equal(5, record.Sessions.Count);
        Assert.Equal([CustodyState.Open, CustodyState.Restored, CustodyState.Claimed, CustodyState.Orphaned, CustodyState.Lost], record.Sessions.Select(s => s.State));
        Assert.Equal([0L, 1764579700000000000, 1764579700100000000, 1764579700200000000, 0], record.Sessions.Select(s => s.RestoredNs));

        var open = record.Sessions[0].Session;
        Assert.Equal((0u, "upgrade-db", "luod.u0.upgrade-db", CatalogSessionMode.Managed, 1764579000000000000L, "c2NoZW1hPTM7b3duZXI9Z29sZGVu"),
            (open.Owner, open.Name, open.KernelName, open.Mode, open.CreatedNs, open.Metadata));
        Assert.Equal([new CatalogFile("heap", 1, 65536), new CatalogFile("wal", 2, 12288)], open.Files);
        Assert.Null(open.LostReason);

        var restored = record.Sessions[1].Session;
        Assert.Equal((0u, "upgrade-vm", "luod.u0.upgrade-vm", CatalogSessionMode.Delegated, "dm0="), (restored.Owner, restored.Name, restored.KernelName, restored.Mode, restored.Metadata));
        Assert.Empty(restored.Files);

        var claimed = record.Sessions[2].Session;
        Assert.Equal((1000u, "claimed", "luod.u1000.claimed", CatalogSessionMode.Managed), (claimed.Owner, claimed.Name, claimed.KernelName, claimed.Mode));
        Assert.Equal(2, claimed.Files.Count);

        var orphan = record.Sessions[3].Session;
        Assert.Equal((0u, "orphan", "luod.u0.orphan"), (orphan.Owner, orphan.Name, orphan.KernelName));
        Assert.Empty(orphan.Files);

        var lost = record.Sessions[4].Session;
        Assert.Equal((1000u, "cache ünï", "luod.u1000.cache ünï"), (lost.Owner, lost.Name, lost.KernelName));
        Assert.Equal([new CatalogFile("data", 1, 4096)], lost.Files);
        Assert.StartsWith("luod (pid 4100) stopped", lost.LostReason);
    }

    [Fact]
    public void Golden_custody_record_v1_re_encodes_to_the_same_bytes()
    {
        byte[] bytes = Golden("custody-v1.json");
        Assert.Equal(bytes, CustodyRecord.Decode(bytes)!.Encode());
    }

    [Fact]
    public void Golden_custody_record_v1_is_read_from_its_file()
    {
        var record = CustodyRecord.TryRead(Path.Combine(AppContext.BaseDirectory, "Golden", "custody-v1.json"));
        Assert.Equal(42, record?.CatalogGeneration);
    }

    [Fact]
    public void Custody_sessions_rebuilt_from_the_golden_record_write_it_back_unchanged()
    {
        // What a restarted luod does: record → CustodySession → record.
        byte[] bytes = Golden("custody-v1.json");
        var record = CustodyRecord.Decode(bytes)!;
        var rebuilt = record with { Sessions = [.. record.Sessions.Select(e => CustodySession.FromCustodyEntry(e).ToCustodyEntry())] };
        Assert.Equal(bytes, rebuilt.Encode());
    }

    [Fact]
    public void This_luod_writes_version_1_and_reads_every_version_it_lists()
    {
        Assert.Equal(1, CatalogFormat.CurrentVersion);
        Assert.Equal(HandoverAbi.CatalogVersion, CatalogFormat.CurrentVersion);
        Assert.Equal([1], CatalogReader.ReadableVersions);
        Assert.Contains(CatalogFormat.CurrentVersion, CatalogReader.ReadableVersions);
    }
}
