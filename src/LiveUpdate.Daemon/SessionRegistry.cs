// SessionRegistry: luod's custody logic. Sessions are keyed by (owner uid, client name);
// a client sees and acts on its own sessions only (root may list all). Every change is
// written to the preserved catalog and the custody record before the call returns, so
// what the next kernel (or a restarted luod) learns is never older than what a client
// was told. All calls are serialized by one lock: they are short kernel calls.
// Every session fd luod holds is also parked in systemd's fd store when there is one, so
// a luod that crashed or restarted takes its sessions back (ResumeCustody) instead of
// reporting them lost.
using System.Runtime.InteropServices;
using LiveUpdate.Kernel;
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Telemetry;
using Microsoft.Extensions.Logging;

namespace LiveUpdate.Daemon;

public sealed class SessionRegistry : IDisposable
{
    public const int MaxMetadataBytes = 64 << 10;

    private readonly Lock _gate = new();
    private readonly ILiveUpdateBackend _backend;
    private readonly CatalogStore _catalog;
    private readonly IFileDescriptorStore _fdStore;
    private readonly LuodOptions _options;
    private readonly ILogger _log;
    private readonly string _release;
    private readonly Dictionary<(uint Owner, string Name), CustodySession> _sessions = [];
    private long _generation;
    private bool _recordWritten;
    private readonly ClockSample _startSample = ClockSample.Capture();
    private UpdateTimeline? _pendingUpdate;
    private string? _kernelLogsPendingFor;
    private List<UpdateTimeline> _updates = [];

    public SessionRegistry(ILiveUpdateBackend backend, LuodOptions options, ILogger log, string release, IFileDescriptorStore? fdStore = null)
    {
        _backend = backend;
        _fdStore = fdStore ?? NoFileDescriptorStore.Instance;
        _catalog = new CatalogStore(backend, _fdStore);
        _options = options;
        _log = log;
        _release = release;
    }

    public bool CustodyLost { get; private set; }

    public string? CustodyLostReason { get; private set; }

    public bool BootedByHandover { get; private set; }

    public long CatalogGeneration => _generation;

    /// <summary>Where session fds are parked; a Varlink method flushes it before it replies.</summary>
    public IFileDescriptorStore FileDescriptorStore => _fdStore;

    /// <summary>The update in flight (before the kexec: being recorded; after: waiting for participants to resume).</summary>
    public UpdateTimeline? PendingUpdate { get { lock (_gate) return _pendingUpdate; } }

    /// <summary>The last completed updates, oldest first.</summary>
    public IReadOnlyList<UpdateTimeline> CompletedUpdates { get { lock (_gate) return [.. _updates]; } }

    /// <summary>The file handler kinds the next kernel must accept: memfd (every session, and luod's own catalog).</summary>
    public IReadOnlyList<string> HandlerKindsInUse() => ["memfd"];

    /// <summary>The update being recorded before the kexec; written to the catalog at the next Persist.</summary>
    public void SetPendingUpdate(UpdateTimeline? timeline)
    {
        lock (_gate) _pendingUpdate = timeline;
    }

    /// <summary>After the kexec: participant <paramref name="name"/> serves again; completes the update when it was the last.</summary>
    public void RecordResumed(PeerCredentials peer, string name)
    {
        lock (_gate)
        {
            if (_pendingUpdate is not { } update || !update.Events.Any(e => e.Kernel == KernelSide.Next))
                throw LuodErrors.NoUpdateInProgress("no live update is waiting for participants to resume in this kernel");
            string client = ParticipantLabel(peer.UserId, name);
            if (!update.Events.Any(e => e.Name == TimelineEvents.ClientPaused && e.Client == client))
                throw LuodErrors.NoUpdateInProgress($"participant '{name}' of uid {peer.UserId} did not pause for update {update.UpdateId}");
            if (!update.Events.Any(e => e.Name == TimelineEvents.ClientResumed && e.Client == client))
                _pendingUpdate = update.Record(TimelineEvents.Daemon(TimelineEvents.ClientResumed, client));
            CompleteUpdateIfDone(null);
            Persist();
        }
    }

    /// <summary>
    /// A claim in the update's timeline: when a participant that paused claims a session of its
    /// own name (the convention the SDK's samples follow), its resume phase starts there.
    /// </summary>
    private void RecordClaim(PeerCredentials peer, string sessionName)
    {
        if (_pendingUpdate is not { } update || !update.Events.Any(e => e.Kernel == KernelSide.Next)) return;
        string client = ParticipantLabel(peer.UserId, sessionName);
        if (update.Events.Any(e => e.Name == TimelineEvents.ClientPaused && e.Client == client)
            && !update.Events.Any(e => e.Name == TimelineEvents.ClientClaimed && e.Client == client))
            _pendingUpdate = update.Record(TimelineEvents.Daemon(TimelineEvents.ClientClaimed, client));
    }

    /// <summary>How a participant appears in timelines: its name, with the uid unless root.</summary>
    public static string ParticipantLabel(uint uid, string name) => uid == 0 ? name : $"{name} (uid {uid})";

    private void CompleteUpdateIfDone(string? givingUp)
    {
        if (_pendingUpdate is not { } update) return;
        var paused = update.Events.Where(e => e.Name == TimelineEvents.ClientPaused).Select(e => e.Client).ToHashSet();
        var resumed = update.Events.Where(e => e.Name == TimelineEvents.ClientResumed).Select(e => e.Client).ToHashSet();
        if (givingUp is null && !paused.IsSubsetOf(resumed)) return;
        string detail = givingUp ?? $"{resumed.Count} participant(s) resumed";
        _updates.Add(update.Record(TimelineEvents.Daemon(TimelineEvents.Finish, detail: detail)));
        if (_updates.Count > UpdateCoordinator.HistoryLength) _updates.RemoveRange(0, _updates.Count - UpdateCoordinator.HistoryLength);
        _pendingUpdate = null;
        _log.LogInformation("luod: update {UpdateId} complete: {Detail}", update.UpdateId, detail);
    }

    /// <summary>
    /// The next kernel's side of an update, once luod serves: its clock facts, the kernel log's
    /// boot steps (/dev/kmsg) and the previous kernel's last words (pstore), merged into the
    /// update's timeline. Kept off the restore path — reading and parsing the logs takes
    /// seconds under emulation, and every participant's blackout would include them.
    /// </summary>
    public void MergeKernelLogs()
    {
        string? updateId;
        lock (_gate) updateId = _kernelLogsPendingFor;
        if (updateId is null) return;
        var clockInfo = KernelClockInfo.From(_release, TimestampCounter.Describe());
        IReadOnlyList<KernelLogLine> nextKernel = [];
        try { nextKernel = KernelLogParser.FromRecords(KernelLog.ReadAll()); }
        catch (LiveUpdateException error)
        {
            _log.LogWarning("luod: the kernel log cannot be read ({Message}); the update's timeline lacks the kernel's boot steps", error.Message);
        }
        var previousConsole = KernelLogParser.ReadPstoreConsole();
        UpdateTimeline Merge(UpdateTimeline update)
        {
            update = KernelLogMerge.WithNextKernelLog(update with { NextKernel = clockInfo }, nextKernel);
            return previousConsole is null ? update : KernelLogMerge.WithPreviousKernelLog(update, previousConsole);
        }
        lock (_gate)
        {
            if (_pendingUpdate?.UpdateId == updateId) _pendingUpdate = Merge(_pendingUpdate);
            else if (_updates.FindIndex(u => u.UpdateId == updateId) is var index and >= 0) _updates[index] = Merge(_updates[index]);
            _kernelLogsPendingFor = null;
            Persist();
        }
    }

    /// <summary>How many sessions a restart took back from systemd's fd store (0 when none).</summary>
    public int ResumedFromFdStore { get; private set; }

    public static long NowNs() => (long)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;

    /// <summary>
    /// Start-up. After a luod restart within the boot whose sessions systemd's fd store kept
    /// (<paramref name="stored"/>, from LISTEN_FDS): take them back as they were. Otherwise
    /// adopt what the previous kernel handed over (catalog, then every session). Either way,
    /// notice custody lost by a previous luod of this boot.
    /// </summary>
    public void Start(IReadOnlyList<ListenedDescriptor>? stored = null)
    {
        lock (_gate)
        {
            var record = CustodyRecord.TryRead(_options.CustodyRecordPath) is { } found && found.BootId == CustodyRecord.CurrentBootId() ? found : null;
            var kept = AdoptStored(stored ?? []);
            if (record is not null && (kept.Sessions.Count > 0 || kept.Catalog is not null))
            {
                ResumeCustody(record, kept);
            }
            else
            {
                if (kept.Sessions.Count > 0 || kept.Catalog is not null)
                    _log.LogWarning("luod: systemd passed {Count} stored session fds but no custody record of this boot names them; releasing them", kept.Sessions.Count + (kept.Catalog is null ? 0 : 1));
                ReleaseUnknown(kept);
                // A stray catalog session keeps its name until systemd closes its copy: adopted
                // without its memfd, the first Persist moves to the other slot and drops it.
                if (kept.Catalog is { } stray)
                {
                    stray.MemFd?.Dispose();
                    _catalog.Adopt(stray.Session, null);
                }
                RestoreFromPreviousKernel();
            }
            NoticeLostCustody(record);
            Persist();
        }
    }

    private void RestoreFromPreviousKernel()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        CatalogDocument? previous;
        try
        {
            previous = CatalogStore.Restore(_backend);
        }
        catch (CatalogUnreadableException error)
        {
            CustodyLost = true;
            CustodyLostReason = $"the catalog handed over by the previous kernel cannot be read ({error.Message}); its sessions stay preserved but luod cannot tell who owns them";
            _log.LogError("luod: {Reason}", CustodyLostReason);
            previous = null;
        }
        if (previous is null) return;
        double catalogMs = clock.Elapsed.TotalMilliseconds;

        BootedByHandover = true;
        _generation = previous.Generation;
        _updates = [.. previous.Updates ?? []];
        if (previous.PendingUpdate is { } update)
        {
            _pendingUpdate = (update with { NextRelease = _release })
                .Record(TimelineEvents.Daemon(TimelineEvents.DaemonStart, sample: _startSample))
                .Record(TimelineEvents.Daemon(TimelineEvents.CatalogRestored));
            _kernelLogsPendingFor = update.UpdateId;
        }
        foreach (var entry in previous.Sessions)
        {
            var session = CustodySession.FromCatalog(entry, CustodyState.Restored);
            if (session.State == CustodyState.Lost)
            {
                // Lost before the kexec: the loss travels on so the owner hears "custody lost".
                _sessions[(entry.Owner, entry.Name)] = session;
                CustodyLost = true;
                CustodyLostReason ??= $"session '{entry.Name}' of uid {entry.Owner} was lost before the last kexec: {entry.LostReason}";
                continue;
            }
            try
            {
                session.Backend = _backend.Retrieve(entry.KernelName);
                session.RestoredNs = NowNs();
                _fdStore.Store(StoredName(session), session.Backend.Handle);
            }
            catch (SessionNotFoundException)
            {
                session.State = CustodyState.Lost;
                session.LostReason = $"the kernel did not hand over '{entry.KernelName}' (its fd was closed before the reboot)";
            }
            _sessions[(entry.Owner, entry.Name)] = session;
        }
        _log.LogInformation("luod: restored {Count} sessions from catalog generation {Generation} written by {Release} in {Milliseconds:F1} ms (catalog {CatalogMilliseconds:F1} ms)",
            previous.Sessions.Count, previous.Generation, previous.KernelRelease, clock.Elapsed.TotalMilliseconds, catalogMs);
        if (_pendingUpdate is not null)
        {
            _pendingUpdate = _pendingUpdate.Record(TimelineEvents.Daemon(TimelineEvents.SessionsRestored, detail: $"{previous.Sessions.Count} session(s)"));
            CompleteUpdateIfDone(null);
        }
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
                        var session = _backend.Adopt(descriptor.Handle,
                            kind == StoredDescriptorKind.OutgoingSession ? SessionDirection.Outgoing : SessionDirection.Incoming);
                        if (CatalogStore.IsCatalogSession(session.KernelName)) catalogSessions.Add(session);
                        else kept.Sessions[session.KernelName] = session;
                        break;
                    case (StoredDescriptorKind.CatalogMemFd, var slot):
                        catalogMemFds[slot] = descriptor.Handle.TakeMemFd();
                        break;
                    default:
                        _log.LogWarning("luod: systemd passed a descriptor named '{Name}' that luod did not store; closing it", descriptor.Name ?? "(unnamed)");
                        descriptor.Handle.Dispose();
                        break;
                }
            }
            catch (LiveUpdateException error)
            {
                _log.LogError("luod: the stored descriptor '{Name}' cannot be taken back ({Message}); releasing it", descriptor.Name, error.Message);
                descriptor.Handle.Dispose();
                if (descriptor.Name is not null) _fdStore.Remove(descriptor.Name);
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
            _fdStore.Remove(StoredDescriptorNames.For(StoredDescriptorKind.CatalogMemFd, slot));
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
        _fdStore.Remove(StoredDescriptorNames.For(StoredDescriptorKind.OutgoingSession, session.KernelName));
        _fdStore.Remove(StoredDescriptorNames.For(StoredDescriptorKind.CatalogMemFd, session.KernelName));
        memfd?.Dispose();
        session.Dispose();
    }

    /// <summary>A restart within the boot: every session the record names and systemd kept comes back as it was.</summary>
    private void ResumeCustody(CustodyRecord record, StoredCustody kept)
    {
        BootedByHandover = record.BootedByHandover;
        _generation = record.CatalogGeneration;
        if (kept.Catalog is { } catalog)
        {
            if (catalog.MemFd is { } memfd && ReadCatalog(memfd) is { } written)
            {
                _pendingUpdate = written.PendingUpdate;
                _updates = [.. written.Updates ?? []];
            }
            _catalog.Adopt(catalog.Session, catalog.MemFd);
        }
        foreach (var entry in record.Sessions)
        {
            var session = CustodySession.FromCustodyEntry(entry);
            if (session.State == CustodyState.Lost)
            {
                _sessions[(session.Owner, session.Name)] = session;
                CustodyLost = true;
                CustodyLostReason ??= $"session '{session.Name}' of uid {session.Owner} was lost earlier: {session.LostReason}";
                continue;
            }
            if (!kept.Sessions.Remove(session.KernelName, out var backend)) continue; // NoticeLostCustody reports it
            session.Backend = backend;
            _sessions[(session.Owner, session.Name)] = session;
            ResumedFromFdStore++;
        }
        if (kept.Sessions.Count > 0)
            _log.LogWarning("luod: systemd kept {Count} session(s) the custody record does not name (luod stopped before recording them, so no client was told they exist); releasing them", kept.Sessions.Count);
        ReleaseUnknown(kept);
        _log.LogInformation("luod: took back {Count} session(s) from systemd's fd store after luod pid {Pid} stopped", ResumedFromFdStore, record.Pid);
    }

    private void ReleaseUnknown(StoredCustody kept)
    {
        foreach (var session in kept.Sessions.Values)
        {
            _fdStore.Remove(StoredName(session));
            session.Dispose();
        }
        kept.Sessions.Clear();
    }

    private static string StoredName(IBackendSession session) => StoredDescriptorNames.For(
        session.Direction == SessionDirection.Outgoing ? StoredDescriptorKind.OutgoingSession : StoredDescriptorKind.IncomingSession,
        session.KernelName);

    private static string StoredName(CustodySession session) => StoredName(session.Backend!);

    /// <summary><paramref name="record"/>: the custody record of this boot found at start, if any.</summary>
    private void NoticeLostCustody(CustodyRecord? record)
    {
        // A record this registry did not write is a previous luod's, even when it shows our pid:
        // pids repeat within a boot (a restarted luod in a pid namespace is pid 1 again).
        if (record is null || _recordWritten)
            return;
        int lost = 0;
        foreach (var entry in record.Sessions)
        {
            if (_sessions.ContainsKey((entry.Session.Owner, entry.Session.Name))) continue;
            lost++;
            var session = CustodySession.FromCustodyEntry(entry);
            session.State = CustodyState.Lost;
            session.LostReason = $"luod (pid {record.Pid}) stopped while holding this session and nothing else (no systemd fd store) held it, so the kernel released its preserved files";
            _sessions[(session.Owner, session.Name)] = session;
        }
        if (lost > 0)
        {
            CustodyLost = true;
            CustodyLostReason = $"luod pid {record.Pid} stopped in this boot while holding {lost} session(s); the kernel released them";
            _log.LogError("luod: custody lost: {Reason}", CustodyLostReason);
        }
    }

    public (CustodySession Session, SafeHandle? DelegatedFd) Create(PeerCredentials peer, string name, SessionMode mode, string? metadata)
    {
        if (KernelSessionNames.Validate(name) is { } problem) throw LuodErrors.InvalidName(name, problem);
        CheckMetadata(metadata);
        lock (_gate)
        {
            if (_sessions.TryGetValue((peer.UserId, name), out var existing) && existing.State != CustodyState.Lost)
                throw LuodErrors.SessionExists(name);
            var session = new CustodySession
            {
                Owner = peer.UserId, Name = name, KernelName = KernelSessionNames.For(peer.UserId, name), Mode = mode,
                CreatedNs = NowNs(), Metadata = metadata, State = CustodyState.Open,
            };
            session.Backend = Kernel(() => _backend.Create(session.KernelName));
            _fdStore.Store(StoredName(session), session.Backend.Handle);
            _sessions[(peer.UserId, name)] = session;
            Persist();
            _log.LogInformation("luod: uid {Uid} created {Mode} session '{Name}' ({KernelName})", peer.UserId, mode, name, session.KernelName);
            return (session, mode == SessionMode.Delegated ? session.Backend.Handle : null);
        }
    }

    public CatalogFile Preserve(PeerCredentials peer, string sessionName, string fileName, SafeHandle fd)
    {
        if (string.IsNullOrEmpty(fileName)) throw LuodErrors.InvalidName(fileName, "a file name must not be empty");
        if (FileDescriptorInspector.Describe(fd) is var kind && kind != FileDescriptorKind.Memfd)
            throw LuodErrors.UnsupportedFile($"'{fileName}' is a {kind}; Linux 7.2/7.3 can preserve memfds only (memfd_create, not hugetlb)");
        lock (_gate)
        {
            var session = Own(peer, sessionName, CustodyState.Open);
            if (session.Mode != SessionMode.Managed)
                throw LuodErrors.WrongState(sessionName, "delegated", "managed (delegated sessions preserve through their own session fd)");
            if (session.Files.Any(f => f.Name == fileName))
                throw LuodErrors.InvalidName(fileName, $"session '{sessionName}' already has a file named '{fileName}'");
            long bytes = FileSize(fd);
            if (_options.QuotaBytesPerOwner > 0)
            {
                long used = _sessions.Values.Where(s => s.Owner == peer.UserId && s.State == CustodyState.Open).Sum(s => s.PreservedBytes);
                if (used + bytes > _options.QuotaBytesPerOwner)
                    throw LuodErrors.QuotaExceeded(_options.QuotaBytesPerOwner, used + bytes);
            }
            ulong token = session.Files.Count == 0 ? 1 : session.Files.Max(f => f.Token) + 1;
            Kernel(() => session.Backend!.Preserve(fd, token));
            var file = new CatalogFile(fileName, token, bytes);
            session.Files.Add(file);
            Persist();
            return file;
        }
    }

    public void SetMetadata(PeerCredentials peer, string sessionName, string metadata)
    {
        CheckMetadata(metadata);
        lock (_gate)
        {
            var session = Own(peer, sessionName, null);
            session.Metadata = metadata;
            Persist();
        }
    }

    public IReadOnlyList<CustodySession> List(PeerCredentials peer, bool all)
    {
        if (all && peer.UserId != 0) throw LuodErrors.PermissionDenied("only root may list every owner's sessions");
        lock (_gate)
            return [.. _sessions.Values.Where(s => all || s.Owner == peer.UserId).OrderBy(s => s.Owner).ThenBy(s => s.Name)];
    }

    /// <summary>After kexec: hands the session back — its fd (delegated) or its files' memfds (managed).</summary>
    public (CustodySession Session, SafeHandle? SessionFd, IReadOnlyList<SafeHandle> Files) Claim(PeerCredentials peer, string sessionName)
    {
        lock (_gate)
        {
            var session = Own(peer, sessionName, null);
            if (session.State is not (CustodyState.Restored or CustodyState.Orphaned or CustodyState.Claimed))
                throw LuodErrors.WrongState(sessionName, session.State.ToString().ToLowerInvariant(), "restored (sessions are claimed after a kexec)");
            if (session.Mode == SessionMode.Delegated)
            {
                session.State = CustodyState.Claimed;
                RecordClaim(peer, sessionName);
                return (session, session.Backend!.Handle, []);
            }
            var files = new List<SafeHandle>();
            try
            {
                foreach (var file in session.Files)
                    files.Add(Kernel(() => session.Backend!.RetrieveMemFd(file.Token)));
            }
            catch
            {
                foreach (var retrieved in files) retrieved.Dispose();
                throw;
            }
            session.State = CustodyState.Claimed;
            RecordClaim(peer, sessionName);
            return (session, null, files);
        }
    }

    public void Finish(PeerCredentials peer, string sessionName)
    {
        lock (_gate)
        {
            var session = Own(peer, sessionName, CustodyState.Claimed);
            Kernel(() => session.Backend!.Finish());
            _fdStore.Remove(StoredName(session));
            session.Backend!.Dispose();
            _sessions.Remove((session.Owner, session.Name));
            Persist();
            _log.LogInformation("luod: uid {Uid} finished session '{Name}'", peer.UserId, sessionName);
        }
    }

    public void Release(PeerCredentials peer, string sessionName)
    {
        lock (_gate)
        {
            var session = Own(peer, sessionName, CustodyState.Open);
            _fdStore.Remove(StoredName(session));
            session.Backend!.Dispose();
            _sessions.Remove((session.Owner, session.Name));
            Persist();
        }
    }

    /// <summary>Restored sessions nobody claimed within the grace become orphans; the policy decides their fate.</summary>
    public IReadOnlyList<CustodySession> ApplyOrphanPolicy(long nowNs)
    {
        lock (_gate)
        {
            var orphans = _sessions.Values
                .Where(s => s.State == CustodyState.Restored && nowNs - s.RestoredNs >= (long)_options.OrphanGrace.TotalNanoseconds)
                .ToList();
            foreach (var orphan in orphans)
            {
                _log.LogWarning("luod: session '{Name}' of uid {Uid} was not claimed within {Grace}; policy {Policy}",
                    orphan.Name, orphan.Owner, _options.OrphanGrace, _options.OrphanPolicy);
                if (_options.OrphanPolicy == OrphanPolicy.Finish)
                {
                    foreach (var file in orphan.Files)
                        Kernel(() => orphan.Backend!.RetrieveMemFd(file.Token)).Dispose();
                    Kernel(() => orphan.Backend!.Finish());
                    _fdStore.Remove(StoredName(orphan));
                    orphan.Backend!.Dispose();
                    orphan.State = CustodyState.Finished;
                    _sessions.Remove((orphan.Owner, orphan.Name));
                }
                else
                {
                    orphan.State = CustodyState.Orphaned;
                }
            }
            bool updateAbandoned = false;
            if (_pendingUpdate is { } update && update.Events.FirstOrDefault(e => e.Name == TimelineEvents.DaemonStart)?.Sample is { } start
                && nowNs - start.RealtimeNs >= (long)_options.OrphanGrace.TotalNanoseconds)
            {
                var resumed = update.Events.Where(e => e.Name == TimelineEvents.ClientResumed).Select(e => e.Client).ToHashSet();
                var missing = update.Events.Where(e => e.Name == TimelineEvents.ClientPaused && !resumed.Contains(e.Client)).Select(e => e.Client);
                CompleteUpdateIfDone($"gave up after {_options.OrphanGrace}: {string.Join(", ", missing)} never resumed");
                updateAbandoned = true;
            }
            if (orphans.Count > 0 || updateAbandoned) Persist();
            return orphans;
        }
    }

    /// <summary>Writes the final catalog: what the next kernel's luod will read.</summary>
    public void Persist()
    {
        lock (_gate)
        {
            _generation++;
            var kept = _sessions.Values.Where(s => s.Backend is not null && s.State is CustodyState.Open or CustodyState.Restored or CustodyState.Orphaned).ToList();
            // Restored/orphaned sessions ride along to the next kernel only if re-preserved; in
            // 7.2/7.3 an incoming session cannot be re-preserved, so the catalog lists open ones.
            var lost = _sessions.Values.Where(s => s.State == CustodyState.Lost);
            var document = new CatalogDocument(_generation, NowNs(), _release,
                [.. kept.Where(s => s.State == CustodyState.Open).Concat(lost).Select(s => s.ToCatalog())],
                _pendingUpdate, [.. _updates]);
            Kernel(() => _catalog.Save(document));
            new CustodyRecord(CustodyRecord.CurrentBootId(), Environment.ProcessId, NowNs(), BootedByHandover, _generation,
                [.. _sessions.Values.Where(s => s.Backend is not null || s.State == CustodyState.Lost).Select(s => s.ToCustodyEntry())])
                .Write(_options.CustodyRecordPath);
            _recordWritten = true;
        }
    }

    private CustodySession Own(PeerCredentials peer, string name, CustodyState? required)
    {
        if (!_sessions.TryGetValue((peer.UserId, name), out var session))
            throw LuodErrors.SessionNotFound(name);
        if (session.State == CustodyState.Lost)
            throw LuodErrors.CustodyLost(name, session.LostReason ?? "luod no longer holds this session");
        if (required is { } state && session.State != state)
            throw LuodErrors.WrongState(name, session.State.ToString().ToLowerInvariant(), state.ToString().ToLowerInvariant());
        return session;
    }

    private static void CheckMetadata(string? metadata)
    {
        if (metadata is null) return;
        byte[] decoded;
        try { decoded = Convert.FromBase64String(metadata); }
        catch (FormatException) { throw LuodErrors.InvalidName("metadata", "metadata must be base64"); }
        if (decoded.Length > MaxMetadataBytes) throw LuodErrors.MetadataTooLarge(decoded.Length, MaxMetadataBytes);
    }

    private static long FileSize(SafeHandle fd) => FileDescriptorInspector.SizeOf(fd);

    private static T Kernel<T>(Func<T> call)
    {
        try { return call(); }
        catch (LiveUpdateException error) { throw LuodErrors.Kernel(error); }
    }

    private static void Kernel(Action call) => Kernel(() => { call(); return 0; });

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var session in _sessions.Values) session.Backend?.Dispose();
            _catalog.Dispose();
        }
    }
}
