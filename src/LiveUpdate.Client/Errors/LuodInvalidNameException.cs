// LuodInvalidNameException: luod answered io.liveupdate.InvalidName — a session or file name luod does not accept.
// Its parameters are read as the generated io.liveupdate record InvalidNameError.
using System.Text.Json.Nodes;
using LiveUpdate.Protocol;

namespace LiveUpdate.Client.Errors;

public sealed class LuodInvalidNameException : LiveUpdateClientException
{
    public const string Name = LiveUpdateProtocol.Errors.InvalidName;

    public LuodInvalidNameException(JsonObject parameters, Exception? innerException = null)
        : this(Read(parameters), parameters, innerException)
    {
    }

    private LuodInvalidNameException(InvalidNameError e, JsonObject parameters, Exception? innerException)
        : base($"luod rejected the name '{e.Name}': {e.Reason}. Use a shorter name of letters, digits, dots, dashes and underscores.", Name, parameters, innerException)
    {
        InvalidName = e.Name;
        Reason = e.Reason;
    }

    /// <summary>The name luod rejected.</summary>
    public string InvalidName { get; }

    public string Reason { get; }

    /// <summary>The parameters as luod sent them; empty values when they do not have the declared shape.</summary>
    private static InvalidNameError Read(JsonObject parameters) =>
        ParametersAs(parameters, LiveUpdateProtocolJson.Default.InvalidNameError) ?? new InvalidNameError { Name = "", Reason = "" };
}
