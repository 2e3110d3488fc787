// SessionJson: the io.liveupdate Session and File types as JSON, built by hand with
// JsonObject (no reflection) in the shape io.liveupdate.varlink declares.
using System.Text.Json.Nodes;

namespace LiveUpdate.Daemon;

public static class SessionJson
{
    public static JsonObject From(CustodySession session) => new()
    {
        ["name"] = session.Name,
        ["owner"] = session.Owner,
        ["kernelName"] = session.KernelName,
        ["mode"] = session.Mode == SessionMode.Delegated ? "delegated" : "managed",
        ["state"] = session.State.ToString().ToLowerInvariant(),
        ["files"] = new JsonArray([.. session.Files.Select(f => (JsonNode)From(f))]),
        ["preservedBytes"] = session.PreservedBytes,
        ["createdNs"] = session.CreatedNs,
        ["metadata"] = session.Metadata,
    };

    public static JsonObject From(CatalogFile file) => new()
    {
        ["name"] = file.Name,
        ["token"] = file.Token,
        ["bytes"] = file.Bytes,
    };
}
