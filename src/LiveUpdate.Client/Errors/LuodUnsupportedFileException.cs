// LuodUnsupportedFileException: luod answered io.liveupdate.UnsupportedFile — the file cannot be preserved.
// Its parameters are read as the generated io.liveupdate record UnsupportedFileError.
using System.Text.Json.Nodes;
using LiveUpdate.Protocol;

namespace LiveUpdate.Client.Errors;

public sealed class LuodUnsupportedFileException : LiveUpdateClientException
{
    public const string Name = LiveUpdateProtocol.Errors.UnsupportedFile;

    public LuodUnsupportedFileException(JsonObject parameters, Exception? innerException = null)
        : this(Read(parameters), parameters, innerException)
    {
    }

    private LuodUnsupportedFileException(UnsupportedFileError e, JsonObject parameters, Exception? innerException)
        : base($"luod cannot preserve this file: {e.Reason}. Only memfds (MemFd / PreservedMemory) can be preserved by this kernel.", Name, parameters, innerException)
    {
        Reason = e.Reason;
    }

    public string Reason { get; }

    /// <summary>The parameters as luod sent them; empty values when they do not have the declared shape.</summary>
    private static UnsupportedFileError Read(JsonObject parameters) =>
        ParametersAs(parameters, LiveUpdateProtocolJson.Default.UnsupportedFileError) ?? new UnsupportedFileError { Reason = "" };
}
