// LuodUnsupportedFileException: luod answered io.liveupdate.UnsupportedFile — the file cannot be preserved.
using System.Text.Json.Nodes;

namespace LiveUpdate.Client.Errors;

public sealed class LuodUnsupportedFileException : LiveUpdateClientException
{
    public const string Name = LiveUpdate.Protocol.LiveUpdateProtocol.Errors.UnsupportedFile;

    public LuodUnsupportedFileException(JsonObject parameters, Exception? innerException = null)
        : base(Describe(parameters), Name, parameters, innerException)
    {
        Reason = Text(parameters, "reason");
    }

    public string Reason { get; }

    private static string Describe(JsonObject p) =>
        $"luod cannot preserve this file: {Text(p, "reason")}. Only memfds (MemFd / PreservedMemory) can be preserved by this kernel.";
}
