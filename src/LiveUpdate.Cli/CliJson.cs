// CliJson: source-generated System.Text.Json metadata for luoctl's --json output, so the
// CLI stays trimming- and NativeAOT-safe (no reflection-based serialization).
using System.Text.Json.Serialization;
using LiveUpdate.Kernel;

namespace LiveUpdate.Cli;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(LiveUpdateCapabilities))]
internal sealed partial class CliJson : JsonSerializerContext;
