// MetricsStateCapture: luod's state as io.liveupdate's MetricsState — what GetMetrics replies and
// what the metrics listener renders (through LiveUpdate.Metrics), so both show the same numbers.
// The kexec count comes from the kernel's KHO kexec-metadata in debugfs when it can be read; else
// from the "exec from" line of the kernel log merged into the update that brought luod here; on a
// boot luod's catalog did not arrive through a handover it is 0 by luod's own account.
using LiveUpdate.Kernel;
using LiveUpdate.Telemetry;
using Wire = LiveUpdate.Protocol;

namespace LiveUpdate.Daemon;

public static class MetricsStateCapture
{
    // kexec-metadata is fixed for a boot: once read, later scrapes use it (a failed reading is retried: debugfs may be mounted later).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, KexecMetadataReading> FoundByPath = new();

    /// <summary>The state as <paramref name="peer"/> may see it: every owner's sessions for root, else its own.</summary>
    public static Wire.MetricsState Capture(SessionRegistry registry, UpdateCoordinator coordinator, LuodOptions options, PeerCredentials peer, string release)
    {
        var sessions = registry.List(peer, all: peer.UserId == 0);
        var owners = sessions
            .GroupBy(s => (s.Owner, State: CustodyWireRecords.ToWire(s).State))
            .OrderBy(g => g.Key.Owner).ThenBy(g => g.Key.State)
            .Select(g => new Wire.OwnerSessions { Owner = g.Key.Owner, State = g.Key.State, Sessions = g.Count(), PreservedBytes = g.Sum(s => s.PreservedBytes) })
            .ToList();
        var (count, source, previous) = KexecCount(registry, coordinator, options, release);
        return new Wire.MetricsState
        {
            KernelRelease = release,
            Owners = owners,
            CustodyLost = registry.CustodyLost,
            Orphans = sessions.Count(s => s.State == CustodyState.Orphaned),
            Preflight = coordinator.LastPreflight is { } outcome
                ? new Wire.PreflightState
                {
                    Verdict = outcome.Verdict switch
                    {
                        Preflight.PreflightVerdict.Go => Wire.PreflightStateVerdict.Go,
                        Preflight.PreflightVerdict.GoWithWarnings => Wire.PreflightStateVerdict.GoWithWarnings,
                        _ => Wire.PreflightStateVerdict.NoGo,
                    },
                    NextRelease = outcome.NextRelease,
                    Staged = outcome.Staged,
                }
                : null,
            KexecCount = count,
            KexecCountSource = source,
            PreviousRelease = previous,
        };
    }

    private static (long? Count, Wire.MetricsStateKexecCountSource Source, string? PreviousRelease) KexecCount(
        SessionRegistry registry, UpdateCoordinator coordinator, LuodOptions options, string release)
    {
        if (!FoundByPath.TryGetValue(options.KhoDebugfsPath, out var reading))
        {
            reading = KexecMetadata.Read(options.KhoDebugfsPath);
            if (reading.KexecCount is not null) FoundByPath[options.KhoDebugfsPath] = reading;
        }
        if (reading.KexecCount is { } fromKernel)
            return (fromKernel, Wire.MetricsStateKexecCountSource.KhoDebugfs, reading.Metadata?.PreviousRelease);
        if (!registry.BootedByHandover)
            return (0, Wire.MetricsStateKexecCountSource.Luod, null);
        // The update that brought luod into this kernel: the pending one, else the newest completed one.
        UpdateTimeline? arrival = coordinator.PendingUpdate ?? coordinator.CompletedUpdates.LastOrDefault();
        if (arrival is { KexecCount: > 0 } && arrival.NextRelease == release)
            return (arrival.KexecCount, Wire.MetricsStateKexecCountSource.KernelLog, arrival.PreviousRelease);
        return (null, Wire.MetricsStateKexecCountSource.KernelLog, arrival?.NextRelease == release ? arrival.PreviousRelease : null);
    }
}
