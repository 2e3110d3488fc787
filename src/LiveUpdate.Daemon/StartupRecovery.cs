// StartupRecovery: what luod finds when it starts. After a luod restart within the boot
// whose sessions systemd's fd store kept (passed back in LISTEN_FDS): the sessions the
// custody record names, taken back as they were, with the catalog memfd. Otherwise what the
// previous kernel handed over: the catalog, then every session it lists — retrieved by luod,
// or, when systemd (>= 261, FileDescriptorStorePreserve=yes) carried luod's fd store across
// the kexec, already retrieved by the next PID 1 and passed in LISTEN_FDS under the names the
// previous luod stored them with (systemd's src/core/luo.c). Either way, custody lost by a
// previous luod of this boot is noticed. It only reads and adopts; SessionRegistry takes the
// result, and the update coordinator the update ledger in it.
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

public sealed class StartupRecovery(ILiveUpdateBackend backend, IFileDescriptorStore fdStore, CatalogStore catalogStore, LuodOptions options, ILogger log, ClockSample startSample,
    LuodTestHold? testHold = null)
{
    private readonly RecoveredCustody _found = new();

    public RecoveredCustody Run(IReadOnlyList<ListenedDescriptor> stored)
    {
        var record = CustodyRecord.TryRead(options.CustodyRecordPath) is { } found && found.BootId == CustodyRecord.CurrentBootId() ? found : null;
        var retrieved = new StoredCustody();
        if (record is null && stored.Any(d => StoredDescriptorNames.Parse(d.Name)?.Kind is StoredDescriptorKind.OutgoingSession or StoredDescriptorKind.IncomingSession)
            && CatalogRetrievedElsewhere(retrieved))
        {
            // Session fds, no custody record of this boot, and the previous kernel's catalog
            // already retrieved by someone else: these crossed the kexec in systemd's fd store
            // and the next PID 1 retrieved them for us.
            var handed = AdoptHandedOverBySystemd(stored, retrieved);
            RestoreFromPreviousKernel(handed, throughSystemd: true);
            if (handed.Sessions.Count > 0)
                log.LogWarning("luod: systemd carried {Count} session(s) across the kexec that the previous kernel's catalog does not list; releasing them", handed.Sessions.Count);
            ReleaseUnknown(handed);
            NoticeLostCustody(record);
            return _found;
        }
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
            RestoreFromPreviousKernel(retrieved);
        }
        NoticeLostCustody(record);
        return _found;
    }

    /// <param name="handedBySystemd">Sessions of the previous kernel already retrieved (by systemd's PID 1, which passed them to luod, or by the start-up probe); taken out as they are used.</param>
    private void RestoreFromPreviousKernel(StoredCustody? handedBySystemd, bool throughSystemd = false)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        IBackendSession? FromSystemd(string kernelName)
        {
            if (handedBySystemd is null || !handedBySystemd.Sessions.Remove(kernelName, out var session)) return null;
            return session;
        }
        CatalogDocument? previous;
        // The catalog's sessions stay retrieved, unfinished and parked in the fd store until every
        // session they list is retrieved and parked too: a luod killed during the restore then
        // finds the catalog again (as a session retrieved in this boot) instead of sessions no
        // record names (fault-luod-held found them all released). Finished at the end.
        var catalogSessions = new List<IBackendSession>();
        try
        {
            previous = CatalogStore.Restore(backend, FromSystemd, catalogSessions);
            foreach (var catalogSession in catalogSessions) Park(catalogSession);
        }
        catch (CatalogUnreadableException error)
        {
            _found.CustodyLost = true;
            _found.CustodyLostReason = $"the catalog handed over by the previous kernel cannot be read ({error.Message}); its sessions stay preserved but luod cannot tell who owns them";
            log.LogError("luod: {Reason}", _found.CustodyLostReason);
            previous = null;
        }
        if (previous is null) { FinishCatalog(catalogSessions); return; }
        double catalogMs = clock.Elapsed.TotalMilliseconds;
        var catalogRestored = ClockSample.Capture();

        _found.BootedByHandover = true;
        _found.Generation = previous.Generation;
        if (!fdStore.Enabled) RecordRestoreInProgress(previous);
        int retrievedCount = 0;
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
                session.Backend = FromSystemd(entry.KernelName) ?? backend.Retrieve(entry.KernelName);
                session.RestoredNs = SessionRegistry.NowNs();
                Park(session.Backend);
                if (++retrievedCount == 1)
                    (testHold ?? LuodTestHold.Off).At(LuodTestHold.MidRestore, log, () => fdStore.FlushAsync().GetAwaiter().GetResult());
            }
            catch (SessionNotFoundException)
            {
                session.State = CustodyState.Lost;
                session.LostReason = $"the kernel did not hand over '{entry.KernelName}' (its fd was closed before the reboot)";
            }
            _found.Sessions[(entry.Owner, entry.Name)] = session;
        }
        FinishCatalog(catalogSessions);
        log.LogInformation("luod: restored {Count} sessions from catalog generation {Generation} written by {Release} in {Milliseconds:F1} ms (catalog {CatalogMilliseconds:F1} ms){Through}",
            previous.Sessions.Count, previous.Generation, previous.KernelRelease, clock.Elapsed.TotalMilliseconds, catalogMs,
            throughSystemd ? "; systemd carried them across the kexec in luod's fd store" : "");
        _found.Updates = new RecoveredUpdates(previous.PendingUpdate?.ToTelemetry(), [.. (previous.Updates ?? []).Select(u => u.ToTelemetry())],
            new HandoverMoments(startSample, catalogRestored, ClockSample.Capture(), previous.Sessions.Count));
    }

    /// <summary>
    /// Without an fd store nothing but this luod holds what it retrieves: killed in the middle of the
    /// restore, it would take the retrieved sessions with it and, with the catalog (finished when its fd
    /// closes), the names and owners of the rest, and the next luod of this boot would see a fresh boot
    /// (fault-luod-held, no-fd-store analysis). So the catalog's sessions are recorded in this boot's
    /// custody record first: the next luod retrieves the ones still in the kernel by name and reports the
    /// others lost (NoticeLostCustody). One record write; with the fd store the parked fds do this instead.
    /// </summary>
    private void RecordRestoreInProgress(CatalogDocument previous)
    {
        var entries = previous.Sessions.Select(entry => new CustodyEntry(entry,
            entry.LostReason is not null ? CustodyState.Lost : CustodyState.Restored, 0)).ToList();
        try
        {
            new CustodyRecord(CustodyRecord.CurrentBootId(), Environment.ProcessId, SessionRegistry.NowNs(), BootedByHandover: true,
                previous.Generation, entries).Write(options.CustodyRecordPath);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            log.LogWarning("luod: could not note the sessions being restored in {Path} ({Message}); a luod killed during this restore would lose their names", options.CustodyRecordPath, error.Message);
        }
    }

    /// <summary>
    /// A session of the previous kernel, retrieved: filed in the fd store as incoming (systemd
    /// may have passed it under the previous boot's luo-out.* name, or a luod killed during the
    /// restore under luo-in.*; either entry is replaced, so the store holds it once).
    /// </summary>
    private void Park(IBackendSession session)
    {
        fdStore.Remove(StoredDescriptorNames.For(StoredDescriptorKind.OutgoingSession, session.KernelName));
        fdStore.Remove(StoredName(session));
        fdStore.Store(StoredName(session), session.Handle);
    }

    /// <summary>Every session the catalog lists is retrieved and parked: the catalog's own sessions are finished and leave the fd store.</summary>
    private void FinishCatalog(List<IBackendSession> catalogSessions)
    {
        foreach (var session in catalogSessions)
        {
            fdStore.Remove(StoredName(session));
            try { session.Finish(); }
            catch (LiveUpdateException error) { log.LogWarning("luod: finishing the previous kernel's catalog session {Name} failed: {Message}", session.KernelName, error.Message); }
            session.Dispose();
        }
        catalogSessions.Clear();
    }

    /// <summary>What systemd's fd store gave back: session handles by kernel name, and the catalog.</summary>
    private sealed class StoredCustody
    {
        public Dictionary<string, IBackendSession> Sessions { get; } = [];
        public (IBackendSession Session, MemFd? MemFd)? Catalog { get; set; }
    }

    /// <summary>
    /// True when a catalog slot of the previous kernel exists but was already retrieved in this
    /// boot (RETRIEVE_SESSION says EINVAL) — by systemd's PID 1, since no luod of this boot
    /// left a record. A slot nobody retrieved yet is retrieved here and left in <paramref name="retrieved"/>.
    /// </summary>
    private bool CatalogRetrievedElsewhere(StoredCustody retrieved)
    {
        bool elsewhere = false;
        foreach (string slot in CatalogStore.SlotNames)
        {
            try { retrieved.Sessions[slot] = backend.Retrieve(slot); }
            catch (SessionNotFoundException) { }
            catch (DuplicateSessionException) { elsewhere = true; }
        }
        return elsewhere;
    }

    /// <summary>
    /// After a kexec through systemd: every session fd systemd passed is an incoming session
    /// the next PID 1 retrieved (whatever name the previous luod stored it under). Catalog
    /// memfds are not carried as such — systemd-shutdown cannot preserve a file a second time
    /// (EBUSY), the catalog session holds it — so any such entry is dropped.
    /// </summary>
    private StoredCustody AdoptHandedOverBySystemd(IReadOnlyList<ListenedDescriptor> stored, StoredCustody handed)
    {
        foreach (var descriptor in stored)
        {
            try
            {
                switch (StoredDescriptorNames.Parse(descriptor.Name))
                {
                    case ({ } kind, _) when kind is StoredDescriptorKind.OutgoingSession or StoredDescriptorKind.IncomingSession:
                        var session = backend.Adopt(descriptor.Handle, SessionDirection.Incoming);
                        handed.Sessions[session.KernelName] = session;
                        break;
                    default:
                        log.LogInformation("luod: systemd passed '{Name}' across the kexec; luod keeps only sessions, closing it", descriptor.Name ?? "(unnamed)");
                        descriptor.Handle.Dispose();
                        if (descriptor.Name is not null) fdStore.Remove(descriptor.Name);
                        break;
                }
            }
            catch (LiveUpdateException error)
            {
                log.LogError("luod: the descriptor '{Name}' systemd passed across the kexec is not a session handed over by the previous kernel ({Message}); releasing it", descriptor.Name, error.Message);
                descriptor.Handle.Dispose();
                if (descriptor.Name is not null) fdStore.Remove(descriptor.Name);
            }
        }
        return handed;
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
            // Carried by systemd across a kexec, an incoming session is still filed under its outgoing name.
            if (session.Direction == SessionDirection.Incoming)
                fdStore.Remove(StoredDescriptorNames.For(StoredDescriptorKind.OutgoingSession, session.KernelName));
            session.Dispose();
        }
        kept.Sessions.Clear();
    }

    private static string StoredName(IBackendSession session) => StoredDescriptorNames.For(
        session.Direction == SessionDirection.Outgoing ? StoredDescriptorKind.OutgoingSession : StoredDescriptorKind.IncomingSession,
        session.KernelName);

    /// <summary>
    /// A session of the previous kernel that a luod of this boot recorded (restored) but that came back through no
    /// fd: if that luod died before retrieving it, the kernel still holds it under its name. True when retrieved now.
    /// </summary>
    private bool TryRetrieveStill(CustodyRecord record, CustodyEntry entry)
    {
        try
        {
            var session = CustodySession.FromCustodyEntry(entry);
            session.Backend = backend.Retrieve(entry.Session.KernelName);
            session.RestoredNs = SessionRegistry.NowNs();
            Park(session.Backend);
            _found.Sessions[(session.Owner, session.Name)] = session;
            _found.BootedByHandover = true;
            _found.Generation = Math.Max(_found.Generation, record.CatalogGeneration);
            log.LogWarning("luod: session '{Name}' of uid {Owner} was still in the kernel after luod pid {Pid} stopped during the restore; retrieved it", session.Name, session.Owner, record.Pid);
            return true;
        }
        catch (Exception error) when (error is SessionNotFoundException or DuplicateSessionException)
        {
            return false; // retrieved by the luod that died (its fd closed: the kernel finished it), or never handed over
        }
    }

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
            if (entry.State == CustodyState.Restored && TryRetrieveStill(record, entry)) continue;
            var session = CustodySession.FromCustodyEntry(entry);
            session.State = CustodyState.Lost;
            if (entry.State == CustodyState.Lost && entry.Session.LostReason is { } before)
            {
                // Lost before (e.g. before the kexec): stays lost, with its own reason.
                session.LostReason = before;
                _found.CustodyLost = true;
                _found.CustodyLostReason ??= $"session '{entry.Session.Name}' of uid {entry.Session.Owner} was lost earlier: {before}";
            }
            else
            {
                lost++;
                session.LostReason = $"luod (pid {record.Pid}) stopped while holding this session and nothing else (no systemd fd store) held it, so the kernel released its preserved files";
            }
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
