// LuodMetadataTooLargeException: luod answered io.liveupdate.MetadataTooLarge — the metadata blob is too large.
using System.Text.Json.Nodes;

namespace LiveUpdate.Client.Errors;

public sealed class LuodMetadataTooLargeException : LiveUpdateClientException
{
    public const string Name = LiveUpdate.Protocol.LiveUpdateProtocol.Errors.MetadataTooLarge;

    public LuodMetadataTooLargeException(JsonObject parameters, Exception? innerException = null)
        : base(Describe(parameters), Name, parameters, innerException)
    {
        Bytes = Number(parameters, "bytes");
        LimitBytes = Number(parameters, "limitBytes");
    }

    public long Bytes { get; }

    public long LimitBytes { get; }

    private static string Describe(JsonObject p) =>
        $"The metadata is {Number(p, "bytes")} bytes, over luod's limit of {Number(p, "limitBytes")} bytes. Keep metadata small and preserve bulk state in a memfd.";
}
