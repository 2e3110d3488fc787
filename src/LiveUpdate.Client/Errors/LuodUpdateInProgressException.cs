// LuodUpdateInProgressException: luod answered io.liveupdate.UpdateInProgress — another live update is running.
// Its parameters are read as the generated io.liveupdate record UpdateInProgressError.
using System.Text.Json.Nodes;
using LiveUpdate.Protocol;

namespace LiveUpdate.Client.Errors;

public sealed class LuodUpdateInProgressException : LiveUpdateClientException
{
    public const string Name = LiveUpdateProtocol.Errors.UpdateInProgress;

    public LuodUpdateInProgressException(JsonObject parameters, Exception? innerException = null)
        : this(Read(parameters), parameters, innerException)
    {
    }

    private LuodUpdateInProgressException(UpdateInProgressError e, JsonObject parameters, Exception? innerException)
        : base($"Live update '{e.UpdateId}' is already in progress ({e.Phase}). Wait for it to finish, or cancel it with `luoctl cancel` before it freezes.", Name, parameters, innerException)
    {
        UpdateId = e.UpdateId;
        Phase = e.Phase;
    }

    public string UpdateId { get; }

    public string Phase { get; }

    /// <summary>The parameters as luod sent them; empty values when they do not have the declared shape.</summary>
    private static UpdateInProgressError Read(JsonObject parameters) =>
        ParametersAs(parameters, LiveUpdateProtocolJson.Default.UpdateInProgressError) ?? new UpdateInProgressError { UpdateId = "", Phase = "" };
}
