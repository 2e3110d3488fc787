// LuodInvalidNameException: luod answered io.liveupdate.InvalidName — a session or file name luod does not accept.
using System.Text.Json.Nodes;

namespace LiveUpdate.Client.Errors;

public sealed class LuodInvalidNameException : LiveUpdateClientException
{
    public const string Name = LiveUpdate.Protocol.LiveUpdateProtocol.Errors.InvalidName;

    public LuodInvalidNameException(JsonObject parameters, Exception? innerException = null)
        : base(Describe(parameters), Name, parameters, innerException)
    {
        InvalidName = Text(parameters, "name");
        Reason = Text(parameters, "reason");
    }

    /// <summary>The name luod rejected.</summary>
    public string InvalidName { get; }

    public string Reason { get; }

    private static string Describe(JsonObject p) =>
        $"luod rejected the name '{Text(p, "name")}': {Text(p, "reason")}. Use a shorter name of letters, digits, dots, dashes and underscores.";
}
