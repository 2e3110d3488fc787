// GuestReportJsonContext: source-generated System.Text.Json metadata for the ttyS1 report lines,
// camelCase as in docs/vm-harness.md. One context for both sides: lu-guest writes with it (nulls
// left out), luvm reads with it (names matched case-insensitively). No reflection, AOT-safe.
using System.Text.Json.Serialization;

namespace LiveUpdate.GuestContract;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(GuestReportLine))]
public sealed partial class GuestReportJsonContext : JsonSerializerContext;
