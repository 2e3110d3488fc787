// SessionInfo: a luod session as io.liveupdate describes it (type Session) — its name,
// owner uid, kernel session name, mode, state, files, size, creation time and metadata.
using System.Text.Json.Nodes;

namespace LiveUpdate.Client;

public sealed record SessionInfo(
    string Name,
    uint Owner,
    string KernelName,
    SessionMode Mode,
    SessionState State,
    IReadOnlyList<PreservedFileInfo> Files,
    long PreservedBytes,
    long CreatedNs,
    byte[]? Metadata)
{
    /// <summary>When luod created the session (UTC).</summary>
    public DateTime CreatedUtc => DateTime.UnixEpoch.AddTicks(CreatedNs / 100);

    internal static SessionInfo FromJson(JsonNode? node, string where)
    {
        var session = ReplyFields.Object(node, where);
        var files = ReplyFields.Array(session, "files", where);
        return new SessionInfo(
            ReplyFields.String(session, "name", where),
            (uint)ReplyFields.Int64(session, "owner", where),
            ReplyFields.String(session, "kernelName", where),
            ReplyFields.String(session, "mode", where) switch
            {
                "delegated" => SessionMode.Delegated,
                "managed" => SessionMode.Managed,
                string other => throw ReplyFields.Invalid(where, "mode", other),
            },
            ReplyFields.String(session, "state", where) switch
            {
                "open" => SessionState.Open,
                "restored" => SessionState.Restored,
                "claimed" => SessionState.Claimed,
                "finished" => SessionState.Finished,
                "orphaned" => SessionState.Orphaned,
                "lost" => SessionState.Lost,
                string other => throw ReplyFields.Invalid(where, "state", other),
            },
            [.. files.Select((file, i) => PreservedFileInfo.FromJson(file, $"{where}.files[{i}]"))],
            ReplyFields.Int64(session, "preservedBytes", where),
            ReplyFields.Int64(session, "createdNs", where),
            ReplyFields.OptionalBase64(session, "metadata", where));
    }
}
