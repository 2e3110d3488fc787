// LuodUpdateInProgressException: luod answered io.liveupdate.UpdateInProgress — another live update is running.
using System.Text.Json.Nodes;

namespace LiveUpdate.Client.Errors;

public sealed class LuodUpdateInProgressException(JsonObject parameters, Exception? innerException = null)
    : LiveUpdateClientException(
        $"Live update '{Text(parameters, "updateId")}' is already in progress ({Text(parameters, "phase")}). Wait for it to finish, or cancel it with `luoctl cancel` before it freezes.",
        Name, parameters, innerException)
{
    public const string Name = LiveUpdate.Protocol.LiveUpdateProtocol.Errors.UpdateInProgress;

    public string UpdateId { get; } = Text(parameters, "updateId");

    public string Phase { get; } = Text(parameters, "phase");
}
