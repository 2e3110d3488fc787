// LuodMetadataTooLargeException: luod answered io.liveupdate.MetadataTooLarge — the metadata blob is too large.
// Its parameters are read as the generated io.liveupdate record MetadataTooLargeError.
using System.Text.Json.Nodes;
using LiveUpdate.Protocol;

namespace LiveUpdate.Client.Errors;

public sealed class LuodMetadataTooLargeException : LiveUpdateClientException
{
    public const string Name = LiveUpdateProtocol.Errors.MetadataTooLarge;

    public LuodMetadataTooLargeException(JsonObject parameters, Exception? innerException = null)
        : this(Read(parameters), parameters, innerException)
    {
    }

    private LuodMetadataTooLargeException(MetadataTooLargeError e, JsonObject parameters, Exception? innerException)
        : base($"The metadata is {e.Bytes} bytes, over luod's limit of {e.LimitBytes} bytes. Keep metadata small and preserve bulk state in a memfd.", Name, parameters, innerException)
    {
        Bytes = e.Bytes;
        LimitBytes = e.LimitBytes;
    }

    public long Bytes { get; }

    public long LimitBytes { get; }

    /// <summary>The parameters as luod sent them; empty values when they do not have the declared shape.</summary>
    private static MetadataTooLargeError Read(JsonObject parameters) =>
        ParametersAs(parameters, LiveUpdateProtocolJson.Default.MetadataTooLargeError) ?? new MetadataTooLargeError { Bytes = 0, LimitBytes = 0 };
}
