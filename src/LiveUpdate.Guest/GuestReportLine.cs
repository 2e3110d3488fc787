// GuestReportLine: one JSON line of the guest's report to the host (docs/vm-harness.md),
// with its source-generated serializer so the guest stays trimming- and AOT-safe.
using System.Text.Json.Serialization;

namespace LiveUpdate.Guest;

public sealed record GuestReportLine
{
    public required string Type { get; init; }
    public required int Hop { get; init; }
    public string? Release { get; init; }
    public string? Name { get; init; }
    public bool? Ok { get; init; }
    public double? Ms { get; init; }
    public string? Detail { get; init; }
    public IReadOnlyList<string>? Kmsg { get; init; }
    public double? UptimeMs { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(GuestReportLine))]
internal sealed partial class GuestReportJson : JsonSerializerContext;
