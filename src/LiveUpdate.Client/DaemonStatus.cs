// DaemonStatus: luod's view of this boot (io.liveupdate Status) — the running kernel,
// whether it was booted by a live update handover, the custody catalog's generation,
// how many sessions and orphans the caller can see, and whether custody was lost.
using Wire = LiveUpdate.Protocol;

namespace LiveUpdate.Client;

public sealed record DaemonStatus(
    string KernelRelease,
    bool BootedByHandover,
    long CatalogGeneration,
    int Sessions,
    int Orphans,
    bool CustodyLost,
    string? CustodyLostReason)
{
    /// <summary>The status as the io.liveupdate record luod sent.</summary>
    public Wire.Status ToProtocol() => new()
    {
        KernelRelease = KernelRelease,
        BootedByHandover = BootedByHandover,
        CatalogGeneration = CatalogGeneration,
        Sessions = Sessions,
        Orphans = Orphans,
        CustodyLost = CustodyLost,
        CustodyLostReason = CustodyLostReason,
    };

    internal static DaemonStatus From(Wire.Status status) => new(status.KernelRelease, status.BootedByHandover, status.CatalogGeneration,
        (int)status.Sessions, (int)status.Orphans, status.CustodyLost, status.CustodyLostReason);
}
