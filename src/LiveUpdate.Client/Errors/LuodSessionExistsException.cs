// LuodSessionExistsException: luod answered io.liveupdate.SessionExists — the caller already has a session of that name.
using System.Text.Json.Nodes;

namespace LiveUpdate.Client.Errors;

public sealed class LuodSessionExistsException : LiveUpdateClientException
{
    public const string Name = LiveUpdate.Protocol.LiveUpdateProtocol.Errors.SessionExists;

    public LuodSessionExistsException(JsonObject parameters, Exception? innerException = null)
        : base(Describe(parameters), Name, parameters, innerException)
    {
        Session = Text(parameters, "session");
    }

    public string Session { get; }

    private static string Describe(JsonObject p) =>
        $"You already have a session named '{Text(p, "session")}'. Pick another name, or Release it first if it is left over.";
}
