// AdviceJsonContext: source-generated JSON metadata for `luoctl advise --json` (AOT-clean, no
// reflection), in the same style as PreflightJsonContext: camelCase, enums as strings.
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LiveUpdate.Preflight.Advice;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(AdviceReport))]
public sealed partial class AdviceJsonContext : JsonSerializerContext
{
    /// <summary>The same metadata writing '+', '&lt;' and quotes as they are (releases, command lines): the output goes to terminals and JSON parsers.</summary>
    public static AdviceJsonContext Readable => s_readable ??= new(new JsonSerializerOptions(Default!.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = null,
    });

    private static AdviceJsonContext? s_readable;
}
