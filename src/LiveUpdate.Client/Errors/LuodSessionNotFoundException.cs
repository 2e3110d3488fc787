// LuodSessionNotFoundException: luod answered io.liveupdate.SessionNotFound — the caller has no session of that name.
using System.Text.Json.Nodes;

namespace LiveUpdate.Client.Errors;

public sealed class LuodSessionNotFoundException : LiveUpdateClientException
{
    public const string Name = LiveUpdate.Protocol.LiveUpdateProtocol.Errors.SessionNotFound;

    public LuodSessionNotFoundException(JsonObject parameters, Exception? innerException = null)
        : base(Describe(parameters), Name, parameters, innerException)
    {
        Session = Text(parameters, "session");
    }

    public string Session { get; }

    private static string Describe(JsonObject p) =>
        $"luod has no session named '{Text(p, "session")}' for you. List yours with ListSessionsAsync (or `luoctl sessions`); sessions belong to the uid that created them.";
}
