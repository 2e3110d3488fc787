// LuodNoUpdateInProgressException: luod answered io.liveupdate.NoUpdateInProgress — there is no
// update in the state this call needs (nothing to cancel, acknowledge or resume).
// Its parameters are read as the generated io.liveupdate record NoUpdateInProgressError.
using System.Text.Json.Nodes;
using LiveUpdate.Protocol;

namespace LiveUpdate.Client.Errors;

public sealed class LuodNoUpdateInProgressException : LiveUpdateClientException
{
    public const string Name = LiveUpdateProtocol.Errors.NoUpdateInProgress;

    public LuodNoUpdateInProgressException(JsonObject parameters, Exception? innerException = null)
        : this(Read(parameters), parameters, innerException)
    {
    }

    private LuodNoUpdateInProgressException(NoUpdateInProgressError e, JsonObject parameters, Exception? innerException)
        : base($"{e.Reason}.", Name, parameters, innerException)
    {
        Reason = e.Reason;
    }

    public string Reason { get; }

    /// <summary>The parameters as luod sent them; empty values when they do not have the declared shape.</summary>
    private static NoUpdateInProgressError Read(JsonObject parameters) =>
        ParametersAs(parameters, LiveUpdateProtocolJson.Default.NoUpdateInProgressError) ?? new NoUpdateInProgressError { Reason = "" };
}
