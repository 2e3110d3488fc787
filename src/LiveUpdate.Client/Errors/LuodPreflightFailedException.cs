// LuodPreflightFailedException: luod answered io.liveupdate.PreflightFailed — the next kernel
// cannot take over this one's state (NO-GO); nothing was staged or paused.
// Its parameters are read as the generated io.liveupdate record PreflightFailedError.
using System.Text.Json.Nodes;
using LiveUpdate.Protocol;

namespace LiveUpdate.Client.Errors;

public sealed class LuodPreflightFailedException : LiveUpdateClientException
{
    public const string Name = LiveUpdateProtocol.Errors.PreflightFailed;

    public LuodPreflightFailedException(JsonObject parameters, Exception? innerException = null)
        : this(Read(parameters), parameters, innerException)
    {
    }

    private LuodPreflightFailedException(PreflightFailedError e, JsonObject parameters, Exception? innerException)
        : base($"The next kernel failed the preflight check (NO-GO); nothing was staged or paused: {string.Join("; ", e.Findings)}", Name, parameters, innerException)
    {
        Findings = e.Findings;
    }

    /// <summary>One line per finding: what, why it matters, how to fix it.</summary>
    public IReadOnlyList<string> Findings { get; }

    /// <summary>The parameters as luod sent them; empty values when they do not have the declared shape.</summary>
    private static PreflightFailedError Read(JsonObject parameters) =>
        ParametersAs(parameters, LiveUpdateProtocolJson.Default.PreflightFailedError) ?? new PreflightFailedError { Findings = [] };
}
