// LuodPreflightFailedException: luod answered io.liveupdate.PreflightFailed — the next kernel
// cannot take over this one's state (NO-GO); nothing was staged or paused.
using System.Text.Json.Nodes;

namespace LiveUpdate.Client.Errors;

public sealed class LuodPreflightFailedException(JsonObject parameters, Exception? innerException = null)
    : LiveUpdateClientException(
        $"The next kernel failed the preflight check (NO-GO); nothing was staged or paused: {string.Join("; ", FindingsOf(parameters))}",
        Name, parameters, innerException)
{
    public const string Name = LiveUpdate.Protocol.LiveUpdateProtocol.Errors.PreflightFailed;

    /// <summary>One line per finding: what, why it matters, how to fix it.</summary>
    public IReadOnlyList<string> Findings { get; } = FindingsOf(parameters);

    private static List<string> FindingsOf(JsonObject parameters) =>
        parameters["findings"] is JsonArray findings ? [.. findings.Select(f => f?.GetValue<string>() ?? "")] : [];
}
