// LuodUpdateCancelledException: luod answered io.liveupdate.UpdateCancelled — the update
// stopped before the reboot (a refusal, a timeout, the operator); every participant resumed.
using System.Text.Json.Nodes;

namespace LiveUpdate.Client.Errors;

public sealed class LuodUpdateCancelledException(JsonObject parameters, Exception? innerException = null)
    : LiveUpdateClientException(
        $"Live update '{Text(parameters, "updateId")}' was cancelled before the reboot: {Text(parameters, "reason")}. Every participant was told to resume; nothing was lost.",
        Name, parameters, innerException)
{
    public const string Name = LiveUpdate.Protocol.LiveUpdateProtocol.Errors.UpdateCancelled;

    public string UpdateId { get; } = Text(parameters, "updateId");

    public string Reason { get; } = Text(parameters, "reason");
}
