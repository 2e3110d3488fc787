// Catalog: what luod knows about the sessions in its custody — owners, client names ↔
// kernel names, files ↔ tokens, metadata, timestamps. It travels across the kexec in a
// memfd preserved in luod's own session (CatalogStore), so after the reboot luod can give
// every owner back exactly what it handed over — and the timelines of live updates, so
// the blackout of an update is measured across the two kernels.
using System.Text.Json.Serialization;
using LiveUpdate.Telemetry;

namespace LiveUpdate.Daemon;

public enum SessionMode
{
    Delegated,
    Managed,
}

public sealed record CatalogFile(string Name, ulong Token, long Bytes);

public sealed record CatalogSession(
    uint Owner,
    string Name,
    string KernelName,
    SessionMode Mode,
    long CreatedNs,
    string? Metadata,
    IReadOnlyList<CatalogFile> Files,
    string? LostReason = null);

/// <param name="PendingUpdate">The update in flight: before the kexec, its timeline up to the reboot; after it, until every participant resumed.</param>
/// <param name="Updates">The last completed updates' timelines, oldest first.</param>
public sealed record CatalogDocument(
    long Generation,
    long WrittenNs,
    string KernelRelease,
    IReadOnlyList<CatalogSession> Sessions,
    UpdateTimeline? PendingUpdate = null,
    IReadOnlyList<UpdateTimeline>? Updates = null)
{
    public static CatalogDocument Empty(string release) => new(0, 0, release, []);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(CatalogDocument))]
internal sealed partial class CatalogJson : JsonSerializerContext;
