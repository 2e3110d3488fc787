// LuodQuotaExceededException: luod answered io.liveupdate.QuotaExceeded — the caller would go over its preserved-bytes quota.
using System.Text.Json.Nodes;

namespace LiveUpdate.Client.Errors;

public sealed class LuodQuotaExceededException : LiveUpdateClientException
{
    public const string Name = LiveUpdate.Protocol.LiveUpdateProtocol.Errors.QuotaExceeded;

    public LuodQuotaExceededException(JsonObject parameters, Exception? innerException = null)
        : base(Describe(parameters), Name, parameters, innerException)
    {
        LimitBytes = Number(parameters, "limitBytes");
        RequestedBytes = Number(parameters, "requestedBytes");
    }

    public long LimitBytes { get; }

    public long RequestedBytes { get; }

    private static string Describe(JsonObject p) =>
        $"Preserving this would bring you to {Number(p, "requestedBytes")} bytes, over your limit of {Number(p, "limitBytes")} bytes. Preserve less, Release sessions you no longer need, or raise the quota in luod's configuration.";
}
