// PreflightJsonContext: source-generated System.Text.Json metadata for PreflightReport, so
// `luoctl check --json` and luod stay trimming- and NativeAOT-safe (no reflection).
using System.Text.Json.Serialization;

namespace LiveUpdate.Preflight;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(PreflightReport))]
public sealed partial class PreflightJsonContext : JsonSerializerContext;
