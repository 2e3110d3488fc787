// LuodWrongStateException: luod answered io.liveupdate.WrongState — the session is not in a state that allows this.
using System.Text.Json.Nodes;

namespace LiveUpdate.Client.Errors;

public sealed class LuodWrongStateException : LiveUpdateClientException
{
    public const string Name = LiveUpdate.Protocol.LiveUpdateProtocol.Errors.WrongState;

    public LuodWrongStateException(JsonObject parameters, Exception? innerException = null)
        : base(Describe(parameters), Name, parameters, innerException)
    {
        Session = Text(parameters, "session");
        State = Text(parameters, "state");
        Expected = Text(parameters, "expected");
    }

    public string Session { get; }

    /// <summary>The state the session is in (an io.liveupdate Session.state value).</summary>
    public string State { get; }

    /// <summary>The state(s) the operation needs.</summary>
    public string Expected { get; }

    private static string Describe(JsonObject p) =>
        $"Session '{Text(p, "session")}' is {Text(p, "state")}, but this needs it {Text(p, "expected")}. Check its state with ListSessionsAsync: preserve before the kexec, claim and finish after it.";
}
