// LuodPermissionDeniedException: luod answered io.liveupdate.PermissionDenied — the caller may not do this.
// Its parameters are read as the generated io.liveupdate record PermissionDeniedError.
using System.Text.Json.Nodes;
using LiveUpdate.Protocol;

namespace LiveUpdate.Client.Errors;

public sealed class LuodPermissionDeniedException : LiveUpdateClientException
{
    public const string Name = LiveUpdateProtocol.Errors.PermissionDenied;

    public LuodPermissionDeniedException(JsonObject parameters, Exception? innerException = null)
        : this(Read(parameters), parameters, innerException)
    {
    }

    private LuodPermissionDeniedException(PermissionDeniedError e, JsonObject parameters, Exception? innerException)
        : base($"luod refused: {e.Reason}. Run as a uid/gid luod allows (its AllowedUids/AllowedGids), or as root.", Name, parameters, innerException)
    {
        Reason = e.Reason;
    }

    public string Reason { get; }

    /// <summary>The parameters as luod sent them; empty values when they do not have the declared shape.</summary>
    private static PermissionDeniedError Read(JsonObject parameters) =>
        ParametersAs(parameters, LiveUpdateProtocolJson.Default.PermissionDeniedError) ?? new PermissionDeniedError { Reason = "" };
}
