// PreservedFileInfo: one file preserved in a session (io.liveupdate File) — the name the
// client gave it, the kernel token it is preserved under, and its size in bytes.
using System.Text.Json.Nodes;

namespace LiveUpdate.Client;

public sealed record PreservedFileInfo(string Name, ulong Token, long Bytes)
{
    internal static PreservedFileInfo FromJson(JsonNode? node, string where)
    {
        var file = ReplyFields.Object(node, where);
        return new PreservedFileInfo(
            ReplyFields.String(file, "name", where),
            (ulong)ReplyFields.Int64(file, "token", where),
            ReplyFields.Int64(file, "bytes", where));
    }
}
