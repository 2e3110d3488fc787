// StartupRecovery: what luod finds when it starts. After a luod restart within the boot
// whose sessions systemd's fd store kept (passed back in LISTEN_FDS): the sessions the
// custody record names, taken back as they were, with the catalog memfd. Otherwise what the
// previous kernel handed over: the catalog, then every session it lists. Either way, custody
// lost by a previous luod of this boot is noticed. It only reads and adopts; SessionRegistry
// takes the result, and the update coordinator the update ledger in it.
using LiveUpdate.Daemon.Abi;
using LiveUpdate.Kernel;
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Telemetry;
using Microsoft.Extensions.Logging;

namespace LiveUpdate.Daemon;

/// <summary>The update ledger start-up found: in the previous kernel's catalog, or in a restarted luod's catalog memfd.</summary>
/// <param name="Handover">Set when the ledger crossed a kexec: the moments of this start the next kernel's side records.</param>
public sealed record RecoveredUpdates(UpdateTimeline? Pending, IReadOnlyList<UpdateTimeline> Completed, HandoverMoments? Handover)
{
    public static readonly RecoveredUpdates None = new(null, [], null);
}

/// <summary>When this luod started, had read the catalog, and had retrieved the <paramref name="Sessions"/> sessions it lists.</summary>
public sealed record HandoverMoments(ClockSample DaemonStart, ClockSample CatalogRestored, ClockSample SessionsRestored, int Sessions);

/// <summary>Everything start-up recovered, for SessionRegistry to take over.</summary>
public sealed class RecoveredCustody
{
    public Dictionary<(uint Owner, string Name), CustodySession> Sessions { get; } = [];
    public long Generation { get; set; }
    public bool BootedByHandover { get; set; }
    public string? CustodyLostReason { get; set; }
    public bool CustodyLost { get; set; }
    public int ResumedFromFdStore { get; set; }
    public RecoveredUpdates Updates { get; set; } = RecoveredUpdates.None;
}

public sealed class StartupRecovery(ILiveUpdateBackend backend, IFileDescriptorStore fdStore, CatalogStore catalogStore, LuodOptions options, ILogger log, ClockSample startSample)
{
    private readonly RecoveredCustody _found = new();

    public RecoveredCustody Run(IReadOnlyList<ListenedDescriptor> stored)
    {
        var record = CustodyRecord.TryRead(options.CustodyRecordPath) is { } found && found.BootId == CustodyRecord.CurrentBootId() ? found : null;
        var kept = AdoptStored(stored);
        if (record is not null && (kept.Sessions.Count > 0 || kept.Catalog is not null))
        {
            ResumeCustody(record, kept);
        }
        else
        {
            if (kept.Sessions.Count > 0 || kept.Catalog is not null)
                log.LogWarning("luod: systemd passed {Count} stored session fds but no custody record of this boot names them; releasing them", kept.Sessions.Count + (kept.Catalog is null ? 0 : 1));
            ReleaseUnknown(kept);
            // A stray catalog session keeps its name until systemd closes its copy: adopted
            // without its memfd, the first Persist moves to the other slot and drops it.
            if (kept.Catalog is { } stray)
            {
                stray.MemFd?.Dispose();
                catalogStore.Adopt(stray.Session, null);
            }
            RestoreFromPreviousKernel();
        }
        NoticeLostCustody(record);
        return _found;
    }

    private void RestoreFromPreviousKernel()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        CatalogDocument? previous;
        try
        {
            previous = CatalogStore.Restore(backend);
        }
        catch (CatalogUnreadableException error)
        {
            _found.CustodyLost = true;
            _found.CustodyLostReason = $"the catalog handed over by the previous kernel cannot be read ({error.Message}); its sessions stay preserved but luod cannot tell who owns them";
            log.LogError("luod: {Reason}", _found.CustodyLostReason);
            previous = null;
        }
        if (previous is null) return;
        double catalogMs = clock.Elapsed.TotalMilliseconds;
        var catalogRestored = ClockSample.Capture();

        _found.BootedByHandover = true;
        _found.Generation = previous.Generation;
        foreach (var entry in previous.Sessions)
        {
            var session = CustodySession.FromCatalog(entry, CustodyState.Restored);
            if (session.State == CustodyState.Lost)
            {
                // Lost before the kexec: the loss travels on so the owner hears "custody lost".
                _found.Sessions[(entry.Owner, entry.Name)] = session;
                _found.CustodyLost = true;
                _found.CustodyLostReason ??= $"session '{entry.Name}' of uid {entry.Owner} was lost before the last kexec: {entry.LostReason}";
                continue;
            }
            try
            {
                session.Backend = backend.Retrieve(entry.KernelName);
                session.RestoredNs = SessionRegistry.NowNs();
                fdStore.Store(StoredName(session.Backend), session.Backend.Handle);
            }
            catch (SessionNotFoundException)
            {
                session.State = CustodyState.Lost;
                session.LostReason = $"the kernel did not hand over '{entry.KernelName}' (its fd was closed before the reboot)";
            }
            _found.Sessions[(entry.Owner, entry.Name)] = session;
        }
        log.LogInformation("luod: restored {Count} sessions from catalog generation {Generation} written by {Release} in {Milliseconds:F1} ms (catalog {CatalogMilliseconds:F1} ms)",
            previous.Sessions.Count, previous.Generation, previous.KernelRelease, clock.Elapsed.TotalMilliseconds, catalogMs);
        _found.Updates = new RecoveredUpdates(previous.PendingUpdate?.ToTelemetry(), [.. (previous.Updates ?? []).Select(u => u.ToTelemetry())],
            new HandoverMoments(startSample, catalogRestored, ClockSample.Capture(), previous.Sessions.Count));
    }

    /// <summary>What systemd's fd store gave back: session handles by kernel name, and the catalog.</summary>
    private sealed class StoredCustody
    {
        public Dictionary<string, IBackendSession> Sessions { get; } = [];
        public (IBackendSession Session, MemFd? MemFd)? Catalog { get; set; }
    }

    private StoredCustody AdoptStored(IReadOnlyList<ListenedDescriptor> stored)
    {
        var kept = new StoredCustody();
        var catalogMemFds = new Dictionary<string, MemFd>();
        var catalogSessions = new List<IBackendSession>();
        foreach (var descriptor in stored)
        {
            try
            {
                switch (StoredDescriptorNames.Parse(descriptor.Name))
                {
                    case ({ } kind, _) when kind is StoredDescriptorKind.OutgoingSession or StoredDescriptorKind.IncomingSession:
                        var session = backend.Adopt(descriptor.Handle,
                            kind == StoredDescriptorKind.OutgoingSession ? SessionDirection.Outgoing : SessionDirection.Incoming);
                        if (CatalogStore.IsCatalogSession(session.KernelName)) catalogSessions.Add(session);
                        else kept.Sessions[session.KernelName] = session;
                        break;
                    case (StoredDescriptorKind.CatalogMemFd, var slot):
                        catalogMemFds[slot] = descriptor.Handle.TakeMemFd();
                        break;
                    default:
                        log.LogWarning("luod: systemd passed a descriptor named '{Name}' that luod did not store; closing it", descriptor.Name ?? "(unnamed)");
                        descriptor.Handle.Dispose();
                        break;
                }
            }
            catch (LiveUpdateException error)
            {
                log.LogError("luod: the stored descriptor '{Name}' cannot be taken back ({Message}); releasing it", descriptor.Name, error.Message);
                descriptor.Handle.Dispose();
                if (descriptor.Name is not null) fdStore.Remove(descriptor.Name);
            }
        }

        // Two catalog slots survive when luod stopped while moving the catalog: keep the newest readable one.
        long newest = -1;
        foreach (var session in catalogSessions)
        {
            catalogMemFds.Remove(StoredDescriptorNames.Printable(session.KernelName), out var memfd);
            long generation = memfd is null ? -1 : ReadGeneration(memfd);
            if (kept.Catalog is null || generation > newest)
            {
                if (kept.Catalog is { } loser) DropCatalog(loser.Session, loser.MemFd);
                kept.Catalog = (session, memfd);
                newest = generation;
            }
            else
            {
                DropCatalog(session, memfd);
            }
        }
        foreach (var (slot, memfd) in catalogMemFds)
        {
            fdStore.Remove(StoredDescriptorNames.For(StoredDescriptorKind.CatalogMemFd, slot));
            memfd.Dispose();
        }
        return kept;
    }

    private static long ReadGeneration(MemFd memfd) => ReadCatalog(memfd)?.Generation ?? -1;

    private static CatalogDocument? ReadCatalog(MemFd memfd)
    {
        try
        {
            byte[] bytes = new byte[memfd.Size];
            memfd.Read(bytes, 0);
            return CatalogCodec.Decode(bytes);
        }
        catch (CatalogUnreadableException) { return null; }
    }

    private void DropCatalog(IBackendSession session, MemFd? memfd)
    {
        fdStore.Remove(StoredDescriptorNames.For(StoredDescriptorKind.OutgoingSession, session.KernelName));
        fdStore.Remove(StoredDescriptorNames.For(StoredDescriptorKind.CatalogMemFd, session.KernelName));
        memfd?.Dispose();
        session.Dispose();
    }

    /// <summary>A restart within the boot: every session the record names and systemd kept comes back as it was.</summary>
    private void ResumeCustody(CustodyRecord record, StoredCustody kept)
    {
        _found.BootedByHandover = record.BootedByHandover;
        _found.Generation = record.CatalogGeneration;
        if (kept.Catalog is { } catalog)
        {
            if (catalog.MemFd is { } memfd && ReadCatalog(memfd) is { } written)
            {
                _found.Updates = new RecoveredUpdates(written.PendingUpdate?.ToTelemetry(), [.. (written.Updates ?? []).Select(u => u.ToTelemetry())], null);
            }
            catalogStore.Adopt(catalog.Session, catalog.MemFd);
        }
        foreach (var entry in record.Sessions)
        {
            var session = CustodySession.FromCustodyEntry(entry);
            if (session.State == CustodyState.Lost)
            {
                _found.Sessions[(session.Owner, session.Name)] = session;
                _found.CustodyLost = true;
                _found.CustodyLostReason ??= $"session '{session.Name}' of uid {session.Owner} was lost earlier: {session.LostReason}";
                continue;
            }
            if (!kept.Sessions.Remove(session.KernelName, out var backend)) continue; // NoticeLostCustody reports it
            session.Backend = backend;
            _found.Sessions[(session.Owner, session.Name)] = session;
            _found.ResumedFromFdStore++;
        }
        if (kept.Sessions.Count > 0)
            log.LogWarning("luod: systemd kept {Count} session(s) the custody record does not name (luod stopped before recording them, so no client was told they exist); releasing them", kept.Sessions.Count);
        ReleaseUnknown(kept);
        log.LogInformation("luod: took back {Count} session(s) from systemd's fd store after luod pid {Pid} stopped", _found.ResumedFromFdStore, record.Pid);
    }

    private void ReleaseUnknown(StoredCustody kept)
    {
        foreach (var session in kept.Sessions.Values)
        {
            fdStore.Remove(StoredName(session));
            session.Dispose();
        }
        kept.Sessions.Clear();
    }

    private static string StoredName(IBackendSession session) => StoredDescriptorNames.For(
        session.Direction == SessionDirection.Outgoing ? StoredDescriptorKind.OutgoingSession : StoredDescriptorKind.IncomingSession,
        session.KernelName);

    /// <summary><paramref name="record"/>: the custody record of this boot found at start, if any.</summary>
    private void NoticeLostCustody(CustodyRecord? record)
    {
        // A record this registry did not write is a previous luod's, even when it shows our pid:
        // pids repeat within a boot (a restarted luod in a pid namespace is pid 1 again).
        if (record is null)
            return;
        int lost = 0;
        foreach (var entry in record.Sessions)
        {
            if (_found.Sessions.ContainsKey((entry.Session.Owner, entry.Session.Name))) continue;
            lost++;
            var session = CustodySession.FromCustodyEntry(entry);
            session.State = CustodyState.Lost;
            session.LostReason = $"luod (pid {record.Pid}) stopped while holding this session and nothing else (no systemd fd store) held it, so the kernel released its preserved files";
            _found.Sessions[(session.Owner, session.Name)] = session;
        }
        if (lost > 0)
        {
            _found.CustodyLost = true;
            _found.CustodyLostReason = $"luod pid {record.Pid} stopped in this boot while holding {lost} session(s); the kernel released them";
            log.LogError("luod: custody lost: {Reason}", _found.CustodyLostReason);
        }
    }
}
