// Temporary: writes the golden samples from the code as it is before the ABI refactor.
using LiveUpdate.Kernel;
using LiveUpdate.Telemetry;

namespace LiveUpdate.Daemon.Tests;

public sealed class GoldenGenerator
{
    [Fact]
    public void Write_golden_samples()
    {
        string? dir = Environment.GetEnvironmentVariable("LU_GOLDEN_OUT");
        if (dir is null) return;
        var previous = new KernelClockInfo("7.2.0-lu", 2494222000.5, TscFrequencySource.KernelRefinedCalibration, true, "tsc");
        var next = new KernelClockInfo("7.3.0-lu", 2494221000, TscFrequencySource.KernelDetected, false, "kvm-clock");
        var pending = new UpdateTimeline
        {
            UpdateId = "u20261201T090000-4242",
            PreviousRelease = "7.2.0-lu",
            NextRelease = "7.3.0-lu",
            PreviousKernel = previous,
            Events =
            [
                new TimelineEvent(TimelineEvents.Staged, UpdatePhase.Staged, KernelSide.Previous, null, new ClockSample(1764579600000000000, 5000000000, 12470000000000), null, EventSource.Daemon, "/boot/vmlinuz-7.3"),
                new TimelineEvent(TimelineEvents.Prepare, UpdatePhase.Prepare, KernelSide.Previous, null, new ClockSample(1764579600100000000, 5100000000, 12720000000000), null, EventSource.Daemon, "1 participant(s)"),
                new TimelineEvent(TimelineEvents.ClientPaused, UpdatePhase.Prepare, KernelSide.Previous, "upgrade-db", new ClockSample(1764579600200000000, 5200000000, 12970000000000)),
                new TimelineEvent(TimelineEvents.Freeze, UpdatePhase.Freeze, KernelSide.Previous, null, new ClockSample(1764579600300000000, 5300000000, null)),
                new TimelineEvent(TimelineEvents.CatalogWritten, UpdatePhase.Freeze, KernelSide.Previous, null, new ClockSample(1764579600400000000, 5400000000, 13470000000000)),
                new TimelineEvent(TimelineEvents.Reboot, UpdatePhase.Reboot, KernelSide.Previous, null, new ClockSample(1764579600500000000, 5500000000, 13720000000000)),
            ],
        };
        var completed = new UpdateTimeline
        {
            UpdateId = "u20261130T120000-4100",
            PreviousRelease = "7.2.0-lu",
            NextRelease = "7.2.0-lu",
            KexecCount = 3,
            PreviousKernel = previous,
            NextKernel = next,
            Events =
            [
                new TimelineEvent(TimelineEvents.Reboot, UpdatePhase.Reboot, KernelSide.Previous, null, new ClockSample(1764504000000000000, 9000000000, 22000000000000)),
                new TimelineEvent("reboot: Restarting system", UpdatePhase.Reboot, KernelSide.Previous, null, null, 9100000000, EventSource.Pstore),
                new TimelineEvent(TimelineEvents.KhoFound, UpdatePhase.KernelBoot, KernelSide.Next, null, null, 120000000, EventSource.KernelLog, "KHO: found kexec handover data"),
                new TimelineEvent(TimelineEvents.DaemonStart, UpdatePhase.Restore, KernelSide.Next, null, new ClockSample(1764504002000000000, 1800000000, 4500000000)),
                new TimelineEvent(TimelineEvents.ClientResumed, UpdatePhase.Resume, KernelSide.Next, "cache (uid 1000)", new ClockSample(1764504003000000000, 2800000000, 7000000000)),
                new TimelineEvent(TimelineEvents.Finish, UpdatePhase.Finish, KernelSide.Next, null, new ClockSample(1764504003100000000, 2900000000, 7250000000), null, EventSource.Daemon, "1 participant(s) resumed"),
            ],
        };
        var catalog = new CatalogDocument(42, 1764579600450000000, "7.2.0-lu",
        [
            new CatalogSession(0, "upgrade-db", "luod.u0.upgrade-db", SessionMode.Managed, 1764579000000000000,
                Convert.ToBase64String("schema=3;owner=golden"u8), [new CatalogFile("heap", 1, 65536), new CatalogFile("wal", 2, 12288)]),
            new CatalogSession(0, "upgrade-vm", "luod.u0.upgrade-vm", SessionMode.Delegated, 1764579000500000000, null, []),
            new CatalogSession(1000, "cache ünï", "luod.u1000.cache ünï", SessionMode.Managed, 1764578000000000000, null,
                [new CatalogFile("data", 1, 4096)], "luod (pid 4100) stopped while holding this session and nothing else (no systemd fd store) held it, so the kernel released its preserved files"),
        ], pending, [completed]);
        File.WriteAllBytes(Path.Combine(dir, "catalog-v1.bin"), CatalogCodec.Encode(catalog));

        var custody = new CustodyRecord("6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b", 4242, 1764579600460000000, true, 42,
        [
            new CustodyEntry(catalog.Sessions[0], CustodyState.Open, 0),
            new CustodyEntry(catalog.Sessions[1] with { Metadata = "dm0=" }, CustodyState.Restored, 1764579700000000000),
            new CustodyEntry(catalog.Sessions[0] with { Owner = 1000, Name = "claimed", KernelName = "luod.u1000.claimed" }, CustodyState.Claimed, 1764579700100000000),
            new CustodyEntry(catalog.Sessions[0] with { Name = "orphan", KernelName = "luod.u0.orphan", Files = [] }, CustodyState.Orphaned, 1764579700200000000),
            new CustodyEntry(catalog.Sessions[2], CustodyState.Lost, 0),
        ]);
        custody.Write(Path.Combine(dir, "custody-v1.json"));
    }
}
