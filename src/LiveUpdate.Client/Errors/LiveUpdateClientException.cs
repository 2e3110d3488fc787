// LiveUpdateClientException: the base of every failure LiveUpdate.Client reports. Errors
// luod answered with carry the io.liveupdate error name and its parameters; failures on
// this side (no daemon, a malformed reply) have no error name.
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using LiveUpdate.Varlink;

namespace LiveUpdate.Client.Errors;

public class LiveUpdateClientException : Exception
{
    public LiveUpdateClientException(string message, string? errorName = null, JsonObject? parameters = null, Exception? innerException = null)
        : base(message, innerException)
    {
        ErrorName = errorName;
        Parameters = parameters ?? [];
    }

    /// <summary>The fully qualified Varlink error name (e.g. <c>io.liveupdate.SessionNotFound</c>), or null when luod did not answer with an error.</summary>
    public string? ErrorName { get; }

    /// <summary>The error's parameters as luod sent them (empty when there were none).</summary>
    public JsonObject Parameters { get; }

    /// <summary>The method that failed (e.g. <c>io.liveupdate.Claim</c>), when known.</summary>
    public string? Method => (InnerException as LiveUpdate.Varlink.VarlinkErrorException)?.Method;

    /// <summary>The typed exception for an error reply from luod; names outside io.liveupdate (e.g. org.varlink.service.*) stay this base type.</summary>
    internal static LiveUpdateClientException FromReply(LiveUpdate.Varlink.VarlinkErrorException error)
    {
        var p = error.Parameters;
        return error.ErrorName switch
        {
            LuodSessionNotFoundException.Name => new LuodSessionNotFoundException(p, error),
            LuodSessionExistsException.Name => new LuodSessionExistsException(p, error),
            LuodInvalidNameException.Name => new LuodInvalidNameException(p, error),
            LuodPermissionDeniedException.Name => new LuodPermissionDeniedException(p, error),
            LuodQuotaExceededException.Name => new LuodQuotaExceededException(p, error),
            LuodUnsupportedFileException.Name => new LuodUnsupportedFileException(p, error),
            LuodWrongStateException.Name => new LuodWrongStateException(p, error),
            LuodCustodyLostException.Name => new LuodCustodyLostException(p, error),
            LuodMetadataTooLargeException.Name => new LuodMetadataTooLargeException(p, error),
            LuodKernelErrorException.Name => new LuodKernelErrorException(p, error),
            LuodUpdateInProgressException.Name => new LuodUpdateInProgressException(p, error),
            LuodPreflightFailedException.Name => new LuodPreflightFailedException(p, error),
            LuodUpdateCancelledException.Name => new LuodUpdateCancelledException(p, error),
            LuodNoUpdateInProgressException.Name => new LuodNoUpdateInProgressException(p, error),
            LuodInvalidParameterException.Name => new LuodInvalidParameterException(p, error),
            _ => new LiveUpdateClientException(
                $"luod answered {error.Method ?? "the call"} with {error.ErrorName}{(p.Count > 0 ? " " + p.ToJsonString() : "")}. " +
                "An org.varlink.service error usually means luod and this client come from different LiveUpdate versions.",
                error.ErrorName, p, error),
        };
    }

    /// <summary>An error's parameters as its generated io.liveupdate record, or null when luod sent another shape.</summary>
    private protected static T? ParametersAs<T>(JsonObject parameters, JsonTypeInfo<T> typeInfo) where T : class =>
        VarlinkParameters.TryRead(parameters, typeInfo, out var value, out _) ? value : null;
}
