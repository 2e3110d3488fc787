// CustodySession: one session in luod's custody — who owns it, how it is preserved, what
// files it holds, and where it is in its life: open (before kexec), restored (after
// kexec, not yet claimed), claimed, orphaned (unclaimed past the grace), lost (luod no
// longer holds it: the kernel released it). CustodyState is part of the custody record (Abi).
using LiveUpdate.Kernel;

namespace LiveUpdate.Daemon;

public sealed class CustodySession
{
    public required uint Owner { get; init; }
    public required string Name { get; init; }
    public required string KernelName { get; init; }
    public required CatalogSessionMode Mode { get; init; }
    public required long CreatedNs { get; init; }
    public string? Metadata { get; set; }
    public List<CatalogFile> Files { get; init; } = [];
    public CustodyState State { get; set; }
    public IBackendSession? Backend { get; set; }
    public string? LostReason { get; set; }
    public long RestoredNs { get; set; }

    public long PreservedBytes => Files.Sum(f => f.Bytes);

    public CatalogSession ToCatalog() => new(Owner, Name, KernelName, Mode, CreatedNs, Metadata, [.. Files],
        State == CustodyState.Lost ? LostReason ?? "luod no longer holds this session" : null);

    public CustodyEntry ToCustodyEntry() => new(ToCatalog(), State, RestoredNs);

    public static CustodySession FromCustodyEntry(CustodyEntry entry)
    {
        var session = FromCatalog(entry.Session, entry.State);
        session.RestoredNs = entry.RestoredNs;
        return session;
    }

    public static CustodySession FromCatalog(CatalogSession entry, CustodyState state) => new()
    {
        Owner = entry.Owner,
        Name = entry.Name,
        KernelName = entry.KernelName,
        Mode = entry.Mode,
        CreatedNs = entry.CreatedNs,
        Metadata = entry.Metadata,
        Files = [.. entry.Files],
        State = entry.LostReason is null ? state : CustodyState.Lost,
        LostReason = entry.LostReason,
    };
}
