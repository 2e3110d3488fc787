// LuodQuotaExceededException: luod answered io.liveupdate.QuotaExceeded — the caller would go over its preserved-bytes quota.
// Its parameters are read as the generated io.liveupdate record QuotaExceededError.
using System.Text.Json.Nodes;
using LiveUpdate.Protocol;

namespace LiveUpdate.Client.Errors;

public sealed class LuodQuotaExceededException : LiveUpdateClientException
{
    public const string Name = LiveUpdateProtocol.Errors.QuotaExceeded;

    public LuodQuotaExceededException(JsonObject parameters, Exception? innerException = null)
        : this(Read(parameters), parameters, innerException)
    {
    }

    private LuodQuotaExceededException(QuotaExceededError e, JsonObject parameters, Exception? innerException)
        : base($"Preserving this would bring you to {e.RequestedBytes} bytes, over your limit of {e.LimitBytes} bytes. Preserve less, Release sessions you no longer need, or raise the quota in luod's configuration.", Name, parameters, innerException)
    {
        LimitBytes = e.LimitBytes;
        RequestedBytes = e.RequestedBytes;
    }

    public long LimitBytes { get; }

    public long RequestedBytes { get; }

    /// <summary>The parameters as luod sent them; empty values when they do not have the declared shape.</summary>
    private static QuotaExceededError Read(JsonObject parameters) =>
        ParametersAs(parameters, LiveUpdateProtocolJson.Default.QuotaExceededError) ?? new QuotaExceededError { LimitBytes = 0, RequestedBytes = 0 };
}
