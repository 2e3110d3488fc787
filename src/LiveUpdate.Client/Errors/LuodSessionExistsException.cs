// LuodSessionExistsException: luod answered io.liveupdate.SessionExists — the caller already has a session of that name.
// Its parameters are read as the generated io.liveupdate record SessionExistsError.
using System.Text.Json.Nodes;
using LiveUpdate.Protocol;

namespace LiveUpdate.Client.Errors;

public sealed class LuodSessionExistsException : LiveUpdateClientException
{
    public const string Name = LiveUpdateProtocol.Errors.SessionExists;

    public LuodSessionExistsException(JsonObject parameters, Exception? innerException = null)
        : this(Read(parameters), parameters, innerException)
    {
    }

    private LuodSessionExistsException(SessionExistsError e, JsonObject parameters, Exception? innerException)
        : base($"You already have a session named '{e.Session}'. Pick another name, or Release it first if it is left over.", Name, parameters, innerException)
    {
        Session = e.Session;
    }

    public string Session { get; }

    /// <summary>The parameters as luod sent them; empty values when they do not have the declared shape.</summary>
    private static SessionExistsError Read(JsonObject parameters) =>
        ParametersAs(parameters, LiveUpdateProtocolJson.Default.SessionExistsError) ?? new SessionExistsError { Session = "" };
}
