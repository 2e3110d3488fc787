// VarlinkCall: a method call as it travels on the wire —
//   {"method":"iface.Method","parameters":{...},"oneway":true?,"more":true?,"upgrade":true?}
// "oneway" asks for no reply, "more" for a stream of replies, "upgrade" for the connection
// to leave Varlink after the reply. Parsing follows sd-varlink: a message without a string
// "method", with parameters that are not an object, with non-boolean flags, or with both
// "oneway" and "more", is a protocol violation. Unknown fields are ignored. An empty
// "method" string is a call (answered MethodNotFound by the server, as any name without a dot).
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LiveUpdate.Varlink;

public sealed class VarlinkCall
{
    public VarlinkCall(string method, JsonObject? parameters = null, bool oneway = false, bool more = false, bool upgrade = false)
    {
        ArgumentNullException.ThrowIfNull(method);
        if (oneway && more)
            throw new ArgumentException("A call cannot be both 'oneway' (no reply) and 'more' (a stream of replies); choose one.", nameof(more));
        Method = method;
        Parameters = parameters ?? [];
        Oneway = oneway;
        More = more;
        Upgrade = upgrade;
    }

    /// <summary>The fully qualified method name, e.g. <c>org.varlink.service.GetInfo</c>.</summary>
    public string Method { get; }

    public JsonObject Parameters { get; }

    public bool Oneway { get; }

    public bool More { get; }

    public bool Upgrade { get; }

    /// <summary>Reads a call from a received message; throws <see cref="VarlinkProtocolException"/> when it is not one.</summary>
    public static VarlinkCall FromMessage(JsonObject message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!message.TryGetPropertyValue("method", out var methodNode) || methodNode is not JsonValue methodValue
            || methodValue.GetValueKind() is not JsonValueKind.String)
            throw Invalid("it has no \"method\" string");
        string? method;
        try
        {
            methodValue.TryGetValue(out method);
        }
        catch (InvalidOperationException)
        {
            throw Invalid("its \"method\" holds an unpaired UTF-16 surrogate escape");
        }
        if (method is null)
            throw Invalid("it has no \"method\" string");

        JsonObject parameters = [];
        if (message.TryGetPropertyValue("parameters", out var parametersNode) && parametersNode is not null)
        {
            if (parametersNode is not JsonObject parametersObject)
                throw Invalid("its \"parameters\" is not a JSON object");
            message.Remove("parameters"); // detach, so the handler owns a parentless object
            parameters = parametersObject;
        }

        bool oneway = Flag(message, "oneway");
        bool more = Flag(message, "more");
        bool upgrade = Flag(message, "upgrade");
        if (oneway && more)
            throw Invalid("it sets both \"oneway\" and \"more\"");
        return new VarlinkCall(method, parameters, oneway, more, upgrade);
    }

    internal void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("method", Method);
        writer.WritePropertyName("parameters");
        Parameters.WriteTo(writer);
        if (Oneway) writer.WriteBoolean("oneway", true);
        if (More) writer.WriteBoolean("more", true);
        if (Upgrade) writer.WriteBoolean("upgrade", true);
        writer.WriteEndObject();
    }

    private static bool Flag(JsonObject message, string name)
    {
        if (!message.TryGetPropertyValue(name, out var node) || node is null)
            return false;
        if (node.GetValueKind() is JsonValueKind.True) return true;
        if (node.GetValueKind() is JsonValueKind.False) return false;
        throw Invalid($"its \"{name}\" is not a boolean");
    }

    private static VarlinkProtocolException Invalid(string why) =>
        new($"The peer sent a message that is not a Varlink call: {why}. The connection was closed. A call looks like {{\"method\":\"iface.Method\",\"parameters\":{{...}}}}.");
}
