// DaemonStatus: luod's view of this boot (io.liveupdate Status) — the running kernel,
// whether it was booted by a live update handover, the custody catalog's generation,
// how many sessions and orphans the caller can see, and whether custody was lost.
using System.Text.Json.Nodes;

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
    internal static DaemonStatus FromJson(JsonNode? node, string where)
    {
        var status = ReplyFields.Object(node, where);
        return new DaemonStatus(
            ReplyFields.String(status, "kernelRelease", where),
            ReplyFields.Boolean(status, "bootedByHandover", where),
            ReplyFields.Int64(status, "catalogGeneration", where),
            (int)ReplyFields.Int64(status, "sessions", where),
            (int)ReplyFields.Int64(status, "orphans", where),
            ReplyFields.Boolean(status, "custodyLost", where),
            ReplyFields.OptionalString(status, "custodyLostReason", where));
    }
}
