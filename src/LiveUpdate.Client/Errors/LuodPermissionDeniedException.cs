// LuodPermissionDeniedException: luod answered io.liveupdate.PermissionDenied — the caller may not do this.
using System.Text.Json.Nodes;

namespace LiveUpdate.Client.Errors;

public sealed class LuodPermissionDeniedException : LiveUpdateClientException
{
    public const string Name = LiveUpdate.Protocol.LiveUpdateProtocol.Errors.PermissionDenied;

    public LuodPermissionDeniedException(JsonObject parameters, Exception? innerException = null)
        : base(Describe(parameters), Name, parameters, innerException)
    {
        Reason = Text(parameters, "reason");
    }

    public string Reason { get; }

    private static string Describe(JsonObject p) =>
        $"luod refused: {Text(p, "reason")}. Run as a uid/gid luod allows (its AllowedUids/AllowedGids), or as root.";
}
