// TelemetryJson: the JSON of timelines and reports (camelCase, enums as stable camelCase
// strings, nulls omitted), source-generated so luod stays trimmable and AOT-compatible.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LiveUpdate.Telemetry;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true,
    WriteIndented = false)]
[JsonSerializable(typeof(UpdateTimeline))]
[JsonSerializable(typeof(List<UpdateTimeline>))]
[JsonSerializable(typeof(UpdateReport))]
public sealed partial class TelemetryJsonContext : JsonSerializerContext;

public static class TelemetryJson
{
    public static string Serialize(UpdateTimeline timeline) => JsonSerializer.Serialize(timeline, TelemetryJsonContext.Default.UpdateTimeline);
    public static string Serialize(UpdateReport report) => JsonSerializer.Serialize(report, TelemetryJsonContext.Default.UpdateReport);
    public static string Serialize(List<UpdateTimeline> timelines) => JsonSerializer.Serialize(timelines, TelemetryJsonContext.Default.ListUpdateTimeline);

    public static UpdateTimeline DeserializeTimeline(string json) =>
        JsonSerializer.Deserialize(json, TelemetryJsonContext.Default.UpdateTimeline) ?? throw new JsonException("The timeline JSON is 'null'.");

    public static UpdateReport DeserializeReport(string json) =>
        JsonSerializer.Deserialize(json, TelemetryJsonContext.Default.UpdateReport) ?? throw new JsonException("The report JSON is 'null'.");
}
