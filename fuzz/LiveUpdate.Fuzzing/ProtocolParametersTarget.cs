// ProtocolParametersTarget: the parameters object of every io.liveupdate method, through the
// generated records' decoders (LiveUpdateProtocolJson) the way luod reads them
// (VarlinkParameters.TryRead). The first byte picks the method; the rest is the JSON.
// The JSON passes the wire layer's checks first (VarlinkWireFormat.Decode: UTF-8, JSON, an
// object), as every message luod reads does.
// Fine: VarlinkProtocolException (the wire layer's refusal), a string with an unpaired
// surrogate (refused by the server before dispatch),
// and TryRead answering false with the parameter at fault. Anything else is a bug: luod would
// answer it io.liveupdate.varlink.InternalError.
using System.Text.Json.Nodes;
using LiveUpdate.Protocol;
using LiveUpdate.Varlink;

namespace LiveUpdate.Fuzzing;

public static class ProtocolParametersTarget
{
    private static LiveUpdateProtocolJson Json => LiveUpdateProtocolJson.Default;

    private static readonly Func<JsonObject, bool>[] Methods =
    [
        p => Read(p, Json.SubscribeParameters),
        p => Read(p, Json.AcknowledgeParameters),
        p => Read(p, Json.ResumedParameters),
        p => Read(p, Json.UpdateParameters),
        p => Read(p, Json.CancelUpdateParameters),
        p => Read(p, Json.CreateSessionParameters),
        p => Read(p, Json.PreserveParameters),
        p => Read(p, Json.SetMetadataParameters),
        p => Read(p, Json.ListSessionsParameters),
        p => Read(p, Json.ClaimParameters),
        p => Read(p, Json.FinishParameters),
        p => Read(p, Json.ReleaseParameters),
        p => Read(p, Json.KexecParameters),
    ];

    public static void Run(byte[] input)
    {
        if (input.Length == 0) return;
        var method = Methods[input[0] % Methods.Length];
        JsonObject parameters;
        try
        {
            parameters = VarlinkWireFormat.Decode(input.AsSpan(1));
        }
        catch (VarlinkProtocolException) { return; }
        // The server answers a string with an unpaired UTF-16 surrogate escape InvalidParameter
        // before any method runs (VarlinkServer.DispatchAsync); so does this target.
        if (VarlinkUnicodeCheck.FindParameterWithUnpairedSurrogate(parameters) is not null) return;
        method(parameters);
    }

    private static bool Read<T>(JsonObject parameters, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        VarlinkParameters.TryRead(parameters, type, out _, out _);
}
