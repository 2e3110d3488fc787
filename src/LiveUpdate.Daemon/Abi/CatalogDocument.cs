// CatalogDocument: what luod knows about the sessions in its custody — owners, client names
// ↔ kernel names, files ↔ tokens, metadata, timestamps — and the timelines of live updates,
// so the blackout of an update is measured across the two kernels. It travels across the
// kexec in a memfd preserved in luod's own session (CatalogStore). Part of the handover ABI
// (HandoverAbi.cs): every JSON name here is frozen at format version 1.
using System.Text.Json.Serialization;

namespace LiveUpdate.Daemon.Abi;

public enum CatalogSessionMode
{
    [JsonStringEnumMemberName("Delegated")] Delegated,
    [JsonStringEnumMemberName("Managed")] Managed,
}

public sealed record CatalogFile(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("token")] ulong Token,
    [property: JsonPropertyName("bytes")] long Bytes);

public sealed record CatalogSession(
    [property: JsonPropertyName("owner")] uint Owner,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("kernelName")] string KernelName,
    [property: JsonPropertyName("mode")] CatalogSessionMode Mode,
    [property: JsonPropertyName("createdNs")] long CreatedNs,
    [property: JsonPropertyName("metadata")] string? Metadata,
    [property: JsonPropertyName("files")] IReadOnlyList<CatalogFile> Files,
    [property: JsonPropertyName("lostReason")] string? LostReason = null);

/// <param name="PendingUpdate">The update in flight: before the kexec, its timeline up to the reboot; after it, until every participant resumed.</param>
/// <param name="Updates">The last completed updates' timelines, oldest first.</param>
public sealed record CatalogDocument(
    [property: JsonPropertyName("generation")] long Generation,
    [property: JsonPropertyName("writtenNs")] long WrittenNs,
    [property: JsonPropertyName("kernelRelease")] string KernelRelease,
    [property: JsonPropertyName("sessions")] IReadOnlyList<CatalogSession> Sessions,
    [property: JsonPropertyName("pendingUpdate")] CatalogTimeline? PendingUpdate = null,
    [property: JsonPropertyName("updates")] IReadOnlyList<CatalogTimeline>? Updates = null)
{
    public static CatalogDocument Empty(string release) => new(0, 0, release, []);
}
