// LuodInvalidParameterException: luod answered io.liveupdate.InvalidParameter — a parameter of
// the right type whose value it cannot accept (e.g. a pausedAtNs or resumedAtNs in the future).
// Its parameters are read as the generated io.liveupdate record InvalidParameterError.
using System.Text.Json.Nodes;
using LiveUpdate.Protocol;

namespace LiveUpdate.Client.Errors;

public sealed class LuodInvalidParameterException : LiveUpdateClientException
{
    public const string Name = LiveUpdateProtocol.Errors.InvalidParameter;

    public LuodInvalidParameterException(JsonObject parameters, Exception? innerException = null)
        : this(Read(parameters), parameters, innerException)
    {
    }

    private LuodInvalidParameterException(InvalidParameterError e, JsonObject parameters, Exception? innerException)
        : base($"luod refused {e.Parameter}: {e.Reason}.", Name, parameters, innerException)
    {
        Parameter = e.Parameter;
        Reason = e.Reason;
    }

    /// <summary>The parameter luod refused (as io.liveupdate names it, e.g. <c>resumedAtNs</c>).</summary>
    public string Parameter { get; }

    public string Reason { get; }

    /// <summary>The parameters as luod sent them; empty values when they do not have the declared shape.</summary>
    private static InvalidParameterError Read(JsonObject parameters) =>
        ParametersAs(parameters, LiveUpdateProtocolJson.Default.InvalidParameterError) ?? new InvalidParameterError { Parameter = "", Reason = "" };
}
