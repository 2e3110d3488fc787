// VarlinkWireFormat: one Varlink message on the wire is a JSON object (UTF-8) followed by a
// single NUL byte. NUL cannot occur inside JSON text (a string holds it only escaped as
// \u0000), so the NUL delimits messages unambiguously. Encoding goes through Utf8JsonWriter
// and decoding through JsonNode — no reflection, safe for trimming and NativeAOT.
using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace LiveUpdate.Varlink;

internal static class VarlinkWireFormat
{
    private static readonly JsonDocumentOptions ParseOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 64,
        AllowDuplicateProperties = false,
    };

    /// <summary>The message <paramref name="write"/> produces, NUL-terminated; refused when over <paramref name="maxMessageSize"/>.</summary>
    public static byte[] Encode(Action<Utf8JsonWriter> write, int maxMessageSize)
    {
        var output = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = false, SkipValidation = false }))
        {
            write(writer);
        }
        if (output.WrittenCount > maxMessageSize)
            throw new VarlinkMessageTooLargeException(
                $"The message to send is {output.WrittenCount} bytes, over the {maxMessageSize}-byte limit of this connection (VarlinkConnectionOptions.MaxMessageSize); nothing was sent. Pass bulk data in a memfd instead of inline JSON, or raise the limit on both ends.",
                maxMessageSize);
        var frame = new byte[output.WrittenCount + 1];
        output.WrittenSpan.CopyTo(frame);
        return frame; // the last byte is already 0
    }

    /// <summary>Parses one message (without its NUL); it must be a JSON object.</summary>
    public static JsonObject Decode(ReadOnlySpan<byte> json)
    {
        // JsonNode materializes strings lazily; check the encoding now so a bad message fails here,
        // as a protocol error, and not later inside a handler. (String values with an unpaired
        // surrogate escape still pass: the server answers those InvalidParameter, VarlinkUnicodeCheck.)
        if (!Utf8.IsValid(json))
            throw new VarlinkProtocolException(
                "The peer sent a message that is not valid UTF-8; the connection was closed. Varlink messages are UTF-8 JSON, each followed by one NUL byte.");
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json, nodeOptions: null, documentOptions: ParseOptions);
        }
        catch (JsonException e)
        {
            throw new VarlinkProtocolException(
                $"The peer sent a message that is not valid JSON ({e.Message}); the connection was closed. A Varlink peer must send UTF-8 JSON objects, each followed by one NUL byte.", e);
        }
        catch (InvalidOperationException e)
        {
            // The duplicate-name check (AllowDuplicateProperties = false) reads every member name,
            // at any depth, as text; System.Text.Json throws InvalidOperationException for a name
            // holding an unpaired UTF-16 surrogate escape ("\ud800"), which is no text. So every
            // object Decode returns has names that read, and no later lookup can throw on one.
            throw new VarlinkProtocolException(
                $"The peer sent a message with a member name that is no Unicode text ({e.Message}), such as one holding an unpaired UTF-16 surrogate escape (\\ud800 without a low surrogate); the connection was closed. Member names must be well-formed text.", e);
        }
        return node as JsonObject ?? throw new VarlinkProtocolException(
            $"The peer sent a JSON {(node is null ? "null" : node.GetValueKind().ToString().ToLowerInvariant())} where a Varlink message must be a JSON object; the connection was closed.");
    }
}
