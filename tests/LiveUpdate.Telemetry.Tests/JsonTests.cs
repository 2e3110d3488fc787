using System.Text.Json;

namespace LiveUpdate.Telemetry.Tests;

/// <summary>The stored/transmitted JSON: camelCase, stable enum names, round trips.</summary>
public sealed class JsonTests
{
    [Fact]
    public void Timeline_round_trips()
    {
        var timeline = new SyntheticUpdate().FullTimeline();
        string json = TelemetryJson.Serialize(timeline);
        var back = TelemetryJson.DeserializeTimeline(json);
        Assert.Equal(timeline.Events, back.Events);
        Assert.Equal(timeline.PreviousKernel, back.PreviousKernel);
        Assert.Equal(timeline.NextKernel, back.NextKernel);
        Assert.Equal(timeline.KexecCount, back.KexecCount);
        Assert.Equal(TelemetryJson.Serialize(UpdateReport.From(timeline)), TelemetryJson.Serialize(UpdateReport.From(back)));
    }

    [Fact]
    public void Names_are_camel_case_and_enums_are_stable_strings()
    {
        string json = TelemetryJson.Serialize(new SyntheticUpdate().FullTimeline());
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal("2026-11-22T04-12-07Z-7.3.4", root.GetProperty("updateId").GetString());
        Assert.Equal("tsc", root.GetProperty("clockBasis").GetString());
        Assert.Equal(1, root.GetProperty("kexecCount").GetInt32());
        Assert.Equal("kernelRefinedCalibration", root.GetProperty("previousKernel").GetProperty("tscFrequencySource").GetString());
        var first = root.GetProperty("events")[0];
        Assert.Equal("staged", first.GetProperty("name").GetString());
        Assert.Equal("staged", first.GetProperty("phase").GetString());
        Assert.Equal("previous", first.GetProperty("kernel").GetString());
        Assert.Equal("daemon", first.GetProperty("source").GetString());
        Assert.True(first.GetProperty("sample").TryGetProperty("realtimeNs", out _));
        Assert.True(first.GetProperty("sample").TryGetProperty("boottimeNs", out _));
        Assert.True(first.GetProperty("sample").TryGetProperty("tsc", out _));
        Assert.False(first.TryGetProperty("client", out _)); // nulls are omitted
        Assert.Contains(root.GetProperty("events").EnumerateArray(), e => e.GetProperty("phase").GetString() == "kernelBoot" && e.GetProperty("source").GetString() == "kernelLog");
    }

    [Fact]
    public void A_list_of_timelines_round_trips_and_the_report_serializes()
    {
        var timelines = new List<UpdateTimeline> { new SyntheticUpdate().FullTimeline(), new SyntheticUpdate { WithTsc = false }.DaemonTimeline() };
        var back = JsonSerializer.Deserialize(TelemetryJson.Serialize(timelines), TelemetryJsonContext.Default.ListUpdateTimeline)!;
        Assert.Equal(2, back.Count);
        Assert.Equal(ClockBasis.RealtimeApproximate, back[1].ClockBasis);

        var report = TelemetryJson.DeserializeReport(TelemetryJson.Serialize(UpdateReport.From(back[1])));
        Assert.Equal(ClockBasis.RealtimeApproximate, report.ClockBasis);
        Assert.Equal(3, report.Clients.Count);
        Assert.Contains("\"uncertaintyNs\":1000000000", TelemetryJson.Serialize(report));
    }
}
