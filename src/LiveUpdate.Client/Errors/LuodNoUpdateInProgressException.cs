// LuodNoUpdateInProgressException: luod answered io.liveupdate.NoUpdateInProgress — there is no
// update in the state this call needs (nothing to cancel, acknowledge or resume).
using System.Text.Json.Nodes;

namespace LiveUpdate.Client.Errors;

public sealed class LuodNoUpdateInProgressException(JsonObject parameters, Exception? innerException = null)
    : LiveUpdateClientException($"{Text(parameters, "reason")}.", Name, parameters, innerException)
{
    public const string Name = LiveUpdate.Protocol.LiveUpdateProtocol.Errors.NoUpdateInProgress;

    public string Reason { get; } = Text(parameters, "reason");
}
