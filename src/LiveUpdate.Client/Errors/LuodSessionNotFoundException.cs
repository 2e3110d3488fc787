// LuodSessionNotFoundException: luod answered io.liveupdate.SessionNotFound — the caller has no session of that name.
// Its parameters are read as the generated io.liveupdate record SessionNotFoundError.
using System.Text.Json.Nodes;
using LiveUpdate.Protocol;

namespace LiveUpdate.Client.Errors;

public sealed class LuodSessionNotFoundException : LiveUpdateClientException
{
    public const string Name = LiveUpdateProtocol.Errors.SessionNotFound;

    public LuodSessionNotFoundException(JsonObject parameters, Exception? innerException = null)
        : this(Read(parameters), parameters, innerException)
    {
    }

    private LuodSessionNotFoundException(SessionNotFoundError e, JsonObject parameters, Exception? innerException)
        : base($"luod has no session named '{e.Session}' for you. List yours with ListSessionsAsync (or `luoctl sessions`); sessions belong to the uid that created them.", Name, parameters, innerException)
    {
        Session = e.Session;
    }

    public string Session { get; }

    /// <summary>The parameters as luod sent them; empty values when they do not have the declared shape.</summary>
    private static SessionNotFoundError Read(JsonObject parameters) =>
        ParametersAs(parameters, LiveUpdateProtocolJson.Default.SessionNotFoundError) ?? new SessionNotFoundError { Session = "" };
}
