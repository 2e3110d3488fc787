// PreflightJsonContext: source-generated System.Text.Json metadata for PreflightReport, so
// `luoctl check --json` and luod stay trimming- and NativeAOT-safe (no reflection).
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LiveUpdate.Preflight;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(PreflightReport))]
public sealed partial class PreflightJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The same metadata, writing '+' and quotes as they are (kernel releases like "7.3.4-1~bpo13+1"):
    /// the output goes to terminals, logs and JSON parsers, never into HTML.
    /// </summary>
    public static PreflightJsonContext Readable => s_readable ??= new(new JsonSerializerOptions(Default!.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = null,
    });

    private static PreflightJsonContext? s_readable;
}
