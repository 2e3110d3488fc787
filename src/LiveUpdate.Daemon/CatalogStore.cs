// CatalogStore: keeps the encoded catalog in a memfd preserved in luod's own sessions, so
// it crosses the kexec in RAM and nothing is written to disk on the reboot path. A
// preserved memfd cannot change size (the kernel freezes its mapping) but can be
// rewritten in place, so the catalog is rewritten in place while it fits; when it
// outgrows its memfd, a larger one is preserved in the other of two session slots before
// the old slot is closed, so a preserved catalog exists at every moment. The session and
// the memfd are also parked in systemd's fd store (when there is one), so a restarted luod
// adopts them and goes on rewriting the same preserved catalog.
using LiveUpdate.Kernel;
using LiveUpdate.Kernel.Errors;

namespace LiveUpdate.Daemon;

public sealed class CatalogStore(ILiveUpdateBackend backend, IFileDescriptorStore fdStore) : IDisposable
{
    public const ulong CatalogToken = 1;
    private const long MinimumCapacity = 64 << 10;
    private static readonly string[] Slots = [KernelSessionNames.Catalog + ".a", KernelSessionNames.Catalog + ".b"];

    /// <summary>True for the kernel names of luod's own catalog sessions.</summary>
    /// <summary>The kernel names of the catalog's two slots.</summary>
    public static IReadOnlyList<string> SlotNames => Slots;

    public static bool IsCatalogSession(string kernelName) => Array.IndexOf(Slots, kernelName) >= 0;

    private IBackendSession? _session;
    private MemFd? _memfd;
    private int _slot = -1;

    public long Capacity => _memfd?.Size ?? 0;

    /// <summary>Writes <paramref name="catalog"/> so that it is what the next kernel receives.</summary>
    public void Save(CatalogDocument catalog)
    {
        byte[] bytes = CatalogCodec.Encode(catalog);
        if (_memfd is not null && bytes.Length <= _memfd.Size)
        {
            _memfd.Write(bytes, 0);
            return;
        }

        long capacity = Math.Max(MinimumCapacity, (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)bytes.Length * 2));
        var memfd = MemFd.Create("luod-catalog");
        memfd.SetSize(capacity);
        memfd.Write(bytes, 0);
        int slot = _slot == 0 ? 1 : 0;
        var session = backend.Create(Slots[slot]);
        session.Preserve(memfd, CatalogToken);
        fdStore.Store(StoredDescriptorNames.For(StoredDescriptorKind.OutgoingSession, Slots[slot]), session.Handle);
        fdStore.Store(StoredDescriptorNames.For(StoredDescriptorKind.CatalogMemFd, Slots[slot]), memfd);
        if (_slot >= 0)
        {
            fdStore.Remove(StoredDescriptorNames.For(StoredDescriptorKind.OutgoingSession, Slots[_slot]));
            fdStore.Remove(StoredDescriptorNames.For(StoredDescriptorKind.CatalogMemFd, Slots[_slot]));
        }
        _session?.Dispose();
        _memfd?.Dispose();
        (_session, _memfd, _slot) = (session, memfd, slot);
    }

    /// <summary>
    /// A restarted luod takes over the catalog session (and its memfd, when it was kept too)
    /// from systemd's fd store. Without the memfd the next Save moves to the other slot.
    /// </summary>
    public void Adopt(IBackendSession session, MemFd? memfd)
    {
        int slot = Array.IndexOf(Slots, session.KernelName);
        if (slot < 0) throw new ArgumentException($"'{session.KernelName}' is not a catalog session", nameof(session));
        _session?.Dispose();
        _memfd?.Dispose();
        (_session, _memfd, _slot) = (session, memfd, slot);
    }

    /// <summary>
    /// After a kexec: retrieves the catalog the previous luod left (the newest readable
    /// generation of the two slots), finishing its sessions. Null when there was none.
    /// Throws <see cref="CatalogUnreadableException"/> when one exists but cannot be read.
    /// <paramref name="retrievedBySystemd"/> gives a slot's session when systemd's PID 1 already
    /// retrieved it and passed it in luod's fd store (then RETRIEVE_SESSION would fail).
    /// </summary>
    /// <paramref name="keptUnfinished"/>, when given, receives the slots' sessions read instead of
    /// finishing them: the caller finishes them once every session the catalog lists is
    /// retrieved and parked (a luod killed in between must find the catalog again).
    public static CatalogDocument? Restore(ILiveUpdateBackend backend, Func<string, IBackendSession?>? retrievedBySystemd = null,
        List<IBackendSession>? keptUnfinished = null)
    {
        CatalogDocument? newest = null;
        CatalogUnreadableException? problem = null;
        foreach (string slot in Slots)
        {
            IBackendSession? session = retrievedBySystemd?.Invoke(slot);
            if (session is null)
            {
                try { session = backend.Retrieve(slot); }
                catch (SessionNotFoundException) { continue; }
            }
            bool kept = false;
            try
            {
                try
                {
                    using var memfd = session.RetrieveMemFd(CatalogToken);
                    byte[] bytes = new byte[memfd.Size];
                    memfd.Read(bytes, 0);
                    var catalog = CatalogCodec.Decode(bytes);
                    if (newest is null || catalog.Generation > newest.Generation) newest = catalog;
                    if (keptUnfinished is null) session.Finish();
                    else { keptUnfinished.Add(session); kept = true; }
                }
                catch (CatalogUnreadableException error)
                {
                    problem = new CatalogUnreadableException($"{slot}: {error.Message}");
                }
                catch (LiveUpdateException error)
                {
                    problem = new CatalogUnreadableException($"{slot}: the catalog memfd could not be retrieved: {error.Message}");
                }
            }
            finally
            {
                if (!kept) session.Dispose();
            }
        }
        if (newest is null && problem is not null) throw problem;
        return newest;
    }

    public void Dispose()
    {
        _session?.Dispose();
        _memfd?.Dispose();
    }
}
