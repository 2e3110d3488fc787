// LuodCustodyLostException: luod answered io.liveupdate.CustodyLost — the session did not survive.
using System.Text.Json.Nodes;

namespace LiveUpdate.Client.Errors;

public sealed class LuodCustodyLostException : LiveUpdateClientException
{
    public const string Name = LiveUpdate.Protocol.LiveUpdateProtocol.Errors.CustodyLost;

    public LuodCustodyLostException(JsonObject parameters, Exception? innerException = null)
        : base(Describe(parameters), Name, parameters, innerException)
    {
        Session = Text(parameters, "session");
        Reason = Text(parameters, "reason");
    }

    public string Session { get; }

    public string Reason { get; }

    private static string Describe(JsonObject p) =>
        $"luod lost custody of session '{Text(p, "session")}': {Text(p, "reason")}. Its files are gone; rebuild the state from scratch, and see `journalctl -u luod` for why.";
}
