// GuestReportJsonContext: source-generated System.Text.Json metadata for the ttyS1 result lines
// (camelCase, as in docs/vm-harness.md), so parsing needs no reflection and stays AOT-compatible.
using System.Text.Json.Serialization;

namespace LiveUpdate.VmHarness;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(GuestReportLine))]
public sealed partial class GuestReportJsonContext : JsonSerializerContext
{
}
