// LuodWrongStateException: luod answered io.liveupdate.WrongState — the session is not in a state that allows this.
// Its parameters are read as the generated io.liveupdate record WrongStateError.
using System.Text.Json.Nodes;
using LiveUpdate.Protocol;

namespace LiveUpdate.Client.Errors;

public sealed class LuodWrongStateException : LiveUpdateClientException
{
    public const string Name = LiveUpdateProtocol.Errors.WrongState;

    public LuodWrongStateException(JsonObject parameters, Exception? innerException = null)
        : this(Read(parameters), parameters, innerException)
    {
    }

    private LuodWrongStateException(WrongStateError e, JsonObject parameters, Exception? innerException)
        : base($"Session '{e.Session}' is {e.State}, but this needs it {e.Expected}. Check its state with ListSessionsAsync: preserve before the kexec, claim and finish after it.", Name, parameters, innerException)
    {
        Session = e.Session;
        State = e.State;
        Expected = e.Expected;
    }

    public string Session { get; }

    /// <summary>The state the session is in (an io.liveupdate Session.state value).</summary>
    public string State { get; }

    /// <summary>The state(s) the operation needs.</summary>
    public string Expected { get; }

    /// <summary>The parameters as luod sent them; empty values when they do not have the declared shape.</summary>
    private static WrongStateError Read(JsonObject parameters) =>
        ParametersAs(parameters, LiveUpdateProtocolJson.Default.WrongStateError) ?? new WrongStateError { Session = "", State = "", Expected = "" };
}
