// LuodCustodyLostException: luod answered io.liveupdate.CustodyLost — the session did not survive.
// Its parameters are read as the generated io.liveupdate record CustodyLostError.
using System.Text.Json.Nodes;
using LiveUpdate.Protocol;

namespace LiveUpdate.Client.Errors;

public sealed class LuodCustodyLostException : LiveUpdateClientException
{
    public const string Name = LiveUpdateProtocol.Errors.CustodyLost;

    public LuodCustodyLostException(JsonObject parameters, Exception? innerException = null)
        : this(Read(parameters), parameters, innerException)
    {
    }

    private LuodCustodyLostException(CustodyLostError e, JsonObject parameters, Exception? innerException)
        : base($"luod lost custody of session '{e.Session}': {e.Reason}. Its files are gone; rebuild the state from scratch, and see `journalctl -u luod` for why.", Name, parameters, innerException)
    {
        Session = e.Session;
        Reason = e.Reason;
    }

    public string Session { get; }

    public string Reason { get; }

    /// <summary>The parameters as luod sent them; empty values when they do not have the declared shape.</summary>
    private static CustodyLostError Read(JsonObject parameters) =>
        ParametersAs(parameters, LiveUpdateProtocolJson.Default.CustodyLostError) ?? new CustodyLostError { Session = "", Reason = "" };
}
