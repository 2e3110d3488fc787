// SessionRegistry: luod's custody logic. Sessions are keyed by (owner uid, client name);
// a client sees and acts on its own sessions only (root may list all). Every change is
// written to the preserved catalog and the custody record before the call returns, so
// what the next kernel (or a restarted luod) learns is never older than what a client
// was told. All calls are serialized by one lock: they are short kernel calls.
// Every session fd luod holds is also parked in systemd's fd store when there is one, so
// a luod that crashed or restarted takes its sessions back (StartupRecovery) instead of
// reporting them lost. The catalog also carries the update ledger, which the update
// coordinator owns and hands here (SetUpdates); the registry never calls the coordinator.
using System.Runtime.InteropServices;
using LiveUpdate.Daemon.Abi;
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
    private UpdateHistory _updates = UpdateHistory.None;

    public SessionRegistry(ILiveUpdateBackend backend, LuodOptions options, ILogger log, string release, IFileDescriptorStore? fdStore = null)
    {
        _backend = backend;
        _fdStore = fdStore ?? NoFileDescriptorStore.Instance;
        _catalog = new CatalogStore(backend, _fdStore);
        _options = options;
        _log = log;
        _release = release;
    }

    /// <summary>The test-only fault point this luod holds at (LuodTestHold.cs); Off in production.</summary>
    public LuodTestHold TestHold { get; init; } = LuodTestHold.Off;

    public bool CustodyLost { get; private set; }

    public string? CustodyLostReason { get; private set; }

    public bool BootedByHandover { get; private set; }

    public long CatalogGeneration => _generation;

    /// <summary>Where session fds are parked; a Varlink method flushes it before it replies.</summary>
    public IFileDescriptorStore FileDescriptorStore => _fdStore;

    /// <summary>The update in flight, as the catalog carries it (the coordinator's UpdateLedger owns it).</summary>
    public UpdateTimeline? PendingUpdate { get { lock (_gate) return _updates.Pending; } }

    /// <summary>The last completed updates, oldest first, as the catalog carries them.</summary>
    public IReadOnlyList<UpdateTimeline> CompletedUpdates { get { lock (_gate) return _updates.Completed; } }

    /// <summary>The update ledger start-up recovered (for the coordinator to adopt).</summary>
    public RecoveredUpdates RecoveredUpdates { get; private set; } = RecoveredUpdates.None;

    /// <summary>The orphan grace: how long restored sessions (and an update's participants) get after a kexec.</summary>
    public TimeSpan OrphanGrace => _options.OrphanGrace;

    /// <summary>Where luod notes a kernel it staged for an update (beside the custody record, in this boot's /run).</summary>
    public string StagedKernelMarkPath => StagedKernelMark.PathBeside(_options.CustodyRecordPath);

    /// <summary>The file handler kinds the next kernel must accept: memfd (every session, and luod's own catalog).</summary>
    public IReadOnlyList<string> HandlerKindsInUse() => ["memfd"];

    /// <summary>The update ledger the next Persist writes into the catalog.</summary>
    public void SetUpdates(UpdateHistory updates)
    {
        lock (_gate) _updates = updates;
    }

    /// <summary>How many sessions a restart took back from systemd's fd store (0 when none).</summary>
    public int ResumedFromFdStore { get; private set; }

    public static long NowNs() => (long)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;

    /// <summary>
    /// Start-up (StartupRecovery): after a luod restart within the boot whose sessions systemd's
    /// fd store kept (<paramref name="stored"/>, from LISTEN_FDS), take them back as they were;
    /// otherwise adopt what the previous kernel handed over. Either way, notice custody lost by a
    /// previous luod of this boot.
    /// </summary>
    public void Start(IReadOnlyList<ListenedDescriptor>? stored = null)
    {
        lock (_gate)
        {
            if (_recordWritten) throw new InvalidOperationException("SessionRegistry.Start runs once, before the registry records anything");
            var found = new StartupRecovery(_backend, _fdStore, _catalog, _options, _log, _startSample, TestHold).Run(stored ?? []);
            foreach (var (key, session) in found.Sessions) _sessions[key] = session;
            (_generation, BootedByHandover, CustodyLost, CustodyLostReason, ResumedFromFdStore) =
                (found.Generation, found.BootedByHandover, found.CustodyLost, found.CustodyLostReason, found.ResumedFromFdStore);
            RecoveredUpdates = found.Updates;
            _updates = new UpdateHistory(found.Updates.Pending, found.Updates.Completed);
            Persist();
        }
    }

    private static string StoredName(CustodySession session) => StoredDescriptorNames.For(
        session.Backend!.Direction == SessionDirection.Outgoing ? StoredDescriptorKind.OutgoingSession : StoredDescriptorKind.IncomingSession,
        session.Backend.KernelName);

    public (CustodySession Session, SafeHandle? DelegatedFd) Create(PeerCredentials peer, string name, CatalogSessionMode mode, string? metadata)
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
            try
            {
                _fdStore.Store(StoredName(session), session.Backend.Handle);
                _sessions[(peer.UserId, name)] = session;
                Persist();
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                // luod could not record the session (at its open-file limit, say): a session the client was told
                // failed must not stay behind, listed open and holding kernel memory. Undo it; the client may retry.
                if (existing is not null) _sessions[(peer.UserId, name)] = existing; else _sessions.Remove((peer.UserId, name));
                _fdStore.Remove(StoredName(session));
                session.Backend.Dispose(); // the kernel releases an outgoing session nobody else holds
                throw LuodErrors.CustodyRecordUnwritable(name, _options.CustodyRecordPath, error);
            }
            _log.LogInformation("luod: uid {Uid} created {Mode} session '{Name}' ({KernelName})", peer.UserId, mode, name, session.KernelName);
            return (session, mode == CatalogSessionMode.Delegated ? session.Backend.Handle : null);
        }
    }

    /// <summary>
    /// The most files a managed session holds: Claim returns them all in one reply, and one message carries at
    /// most SCM_MAX_FD descriptors. Checked at Preserve, so a Claim never marks a session claimed it cannot hand back.
    /// </summary>
    public const int MaxFilesPerManagedSession = LiveUpdate.Kernel.UnixSocketMessaging.MaxFileDescriptorsPerMessage;

    public CatalogFile Preserve(PeerCredentials peer, string sessionName, string fileName, SafeHandle fd)
    {
        if (string.IsNullOrEmpty(fileName)) throw LuodErrors.InvalidName(fileName, "a file name must not be empty");
        if (FileDescriptorInspector.Describe(fd) is var kind && kind != FileDescriptorKind.Memfd)
            throw LuodErrors.UnsupportedFile($"'{fileName}' is a {kind}; Linux 7.2/7.3 can preserve memfds only (memfd_create, not hugetlb)");
        lock (_gate)
        {
            var session = Own(peer, sessionName, CustodyState.Open);
            if (session.Mode != CatalogSessionMode.Managed)
                throw LuodErrors.WrongState(sessionName, "delegated", "managed (delegated sessions preserve through their own session fd)");
            if (session.Files.Any(f => f.Name == fileName))
                throw LuodErrors.InvalidName(fileName, $"session '{sessionName}' already has a file named '{fileName}'");
            if (session.Files.Count >= MaxFilesPerManagedSession)
                throw LuodErrors.UnsupportedFile(
                    $"session '{sessionName}' already holds {session.Files.Count} files, the most a managed session can: Claim hands every file back in one message, and the kernel passes at most {MaxFilesPerManagedSession} descriptors in one (SCM_MAX_FD). Preserve '{fileName}' in another session, or use a delegated session");
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
            if (session.Mode == CatalogSessionMode.Delegated)
            {
                session.State = CustodyState.Claimed;
                return (session, session.Backend!.Handle, []);
            }
            if (session.Files.Count > MaxFilesPerManagedSession) // listed by an older luod that did not cap Preserve
                throw LuodErrors.UnsupportedFile(
                    $"session '{sessionName}' holds {session.Files.Count} files, more than one Claim reply can carry ({MaxFilesPerManagedSession}, SCM_MAX_FD); it stays {session.State.ToString().ToLowerInvariant()} and nothing was retrieved");
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
            if (orphans.Count > 0) Persist();
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
                _updates.Pending?.ToCatalog(), [.. _updates.Completed.Select(u => u.ToCatalog())]);
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
