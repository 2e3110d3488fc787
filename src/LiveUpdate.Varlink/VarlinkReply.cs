// VarlinkReply: a reply as it travels on the wire —
//   {"parameters":{...},"continues":true?,"error":"iface.ErrorName"?}
// "continues" marks one of several replies to a call made with "more"; the last one has it
// false or absent. A reply with "error" is final. Unknown fields are ignored.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LiveUpdate.Varlink;

public sealed class VarlinkReply
{
    public VarlinkReply(JsonObject? parameters = null, bool continues = false, string? error = null)
    {
        if (error is not null && continues)
            throw new ArgumentException("An error reply is final; it cannot have 'continues' set.", nameof(continues));
        if (error is { Length: 0 })
            throw new ArgumentException("An error name cannot be empty; use a qualified name such as org.varlink.service.InvalidParameter.", nameof(error));
        Parameters = parameters ?? [];
        Continues = continues;
        Error = error;
    }

    public JsonObject Parameters { get; }

    /// <summary>More replies to the same call follow.</summary>
    public bool Continues { get; }

    /// <summary>The qualified error name, or null for a successful reply.</summary>
    public string? Error { get; }

    public bool IsError => Error is not null;

    /// <summary>Reads a reply from a received message; throws <see cref="VarlinkProtocolException"/> when it is not one.</summary>
    public static VarlinkReply FromMessage(JsonObject message)
    {
        ArgumentNullException.ThrowIfNull(message);
        string? error = null;
        if (message.TryGetPropertyValue("error", out var errorNode) && errorNode is not null)
        {
            if (errorNode is not JsonValue errorValue || !errorValue.TryGetValue(out error) || string.IsNullOrEmpty(error))
                throw Invalid("its \"error\" is not a non-empty string");
        }

        JsonObject parameters = [];
        if (message.TryGetPropertyValue("parameters", out var parametersNode) && parametersNode is not null)
        {
            if (parametersNode is not JsonObject parametersObject)
                throw Invalid("its \"parameters\" is not a JSON object");
            message.Remove("parameters");
            parameters = parametersObject;
        }

        bool continues = false;
        if (message.TryGetPropertyValue("continues", out var continuesNode) && continuesNode is not null)
        {
            continues = continuesNode.GetValueKind() switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw Invalid("its \"continues\" is not a boolean"),
            };
        }
        if (error is not null && continues)
            throw Invalid("it is an error and also sets \"continues\"");
        return new VarlinkReply(parameters, continues, error);
    }

    internal void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        if (Error is not null) writer.WriteString("error", Error);
        writer.WritePropertyName("parameters");
        Parameters.WriteTo(writer);
        if (Continues) writer.WriteBoolean("continues", true);
        writer.WriteEndObject();
    }

    private static VarlinkProtocolException Invalid(string why) =>
        new($"The peer sent a message that is not a Varlink reply: {why}. The connection was closed.");
}
