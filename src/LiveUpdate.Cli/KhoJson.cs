// KhoJson: source-generated System.Text.Json metadata for `luoctl kho --json` (KhoState and
// everything under it), kept apart from CliJson so the handover view can change on its own;
// NativeAOT-safe, no reflection.
using System.Text.Json.Serialization;
using LiveUpdate.Kernel.Handover;

namespace LiveUpdate.Cli;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(KhoState))]
internal sealed partial class KhoJson : JsonSerializerContext;
