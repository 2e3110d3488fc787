// LuodUpdateCancelledException: luod answered io.liveupdate.UpdateCancelled — the update
// stopped before the reboot (a refusal, a timeout, the operator); every participant resumed.
// Its parameters are read as the generated io.liveupdate record UpdateCancelledError.
using System.Text.Json.Nodes;
using LiveUpdate.Protocol;

namespace LiveUpdate.Client.Errors;

public sealed class LuodUpdateCancelledException : LiveUpdateClientException
{
    public const string Name = LiveUpdateProtocol.Errors.UpdateCancelled;

    public LuodUpdateCancelledException(JsonObject parameters, Exception? innerException = null)
        : this(Read(parameters), parameters, innerException)
    {
    }

    private LuodUpdateCancelledException(UpdateCancelledError e, JsonObject parameters, Exception? innerException)
        : base($"Live update '{e.UpdateId}' was cancelled before the reboot: {e.Reason}. Every participant was told to resume; nothing was lost.", Name, parameters, innerException)
    {
        UpdateId = e.UpdateId;
        Reason = e.Reason;
    }

    public string UpdateId { get; }

    public string Reason { get; }

    /// <summary>The parameters as luod sent them; empty values when they do not have the declared shape.</summary>
    private static UpdateCancelledError Read(JsonObject parameters) =>
        ParametersAs(parameters, LiveUpdateProtocolJson.Default.UpdateCancelledError) ?? new UpdateCancelledError { UpdateId = "", Reason = "" };
}
