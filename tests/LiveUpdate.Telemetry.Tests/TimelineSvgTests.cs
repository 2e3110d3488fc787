using System.Xml.Linq;

namespace LiveUpdate.Telemetry.Tests;

/// <summary>The SVG parses as XML, has one lane per client and marks approximate spans.</summary>
public sealed class TimelineSvgTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static XDocument Render(UpdateTimeline timeline) => XDocument.Parse(TimelineSvg.Render(UpdateReport.From(timeline)));

    [Fact]
    public void Svg_is_well_formed_with_one_lane_per_client()
    {
        var doc = Render(new SyntheticUpdate().FullTimeline());
        Assert.Equal(Svg + "svg", doc.Root!.Name);
        var lanes = doc.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "client-lane").ToList();
        Assert.Equal(["redis", "nginx-cache", "postgres"], lanes.Select(l => (string?)l.Attribute("data-client")));
        Assert.All(lanes, l => Assert.Contains(l.Descendants(Svg + "text"), t => t.Value.StartsWith("blackout ")));
        string text = string.Join("\n", doc.Descendants(Svg + "text").Select(t => t.Value));
        Assert.Contains("previous kernel 7.2.13", text);
        Assert.Contains("next kernel 7.3.4", text);
        Assert.Contains("handover", text);
        Assert.Contains("total blackout", text);
        Assert.DoesNotContain("±1 s", text);
        // self-contained: no external references, scripts or fonts
        string raw = doc.ToString();
        Assert.DoesNotContain("<script", raw);
        Assert.DoesNotContain("href", raw);
        Assert.DoesNotContain("@font-face", raw);
    }

    [Fact]
    public void Approximate_spans_are_hatched_and_labelled()
    {
        var doc = Render(new SyntheticUpdate { WithTsc = false }.FullTimeline());
        string text = string.Join("\n", doc.Descendants(Svg + "text").Select(t => t.Value));
        Assert.Contains("±1 s", text);
        Assert.Contains(doc.Descendants(Svg + "rect"), r => (string?)r.Attribute("fill") == "url(#hatch)");
        var lanes = doc.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "client-lane");
        Assert.All(lanes, l => Assert.Contains(l.Descendants(Svg + "text"), t => t.Value.Contains("±1 s")));
    }

    [Fact]
    public void Names_are_escaped()
    {
        var events = SyntheticUpdate.DaemonEvents.Select(e => e.Client == "redis" ? (e.Name, "<redis & \"co\">", e.TrueNs) : e);
        var doc = Render(new SyntheticUpdate().DaemonTimeline(events) with { UpdateId = "a<b>&'c'" });
        Assert.Contains(doc.Descendants(Svg + "g"), g => (string?)g.Attribute("data-client") == "<redis & \"co\">");
        Assert.Contains(doc.Descendants(Svg + "text"), t => t.Value.Contains("a<b>&'c'"));
    }

    [Fact]
    public void Anomalies_are_listed()
    {
        var events = SyntheticUpdate.DaemonEvents.Where(e => !(e.Client == "postgres" && e.Name == TimelineEvents.ClientResumed));
        var doc = Render(new SyntheticUpdate().DaemonTimeline(events));
        Assert.Contains(doc.Descendants(Svg + "text"), t => t.Value.Contains("never acknowledged resumed"));
        Assert.Contains(doc.Descendants(Svg + "text"), t => t.Value == "never resumed");
    }

    [Fact]
    public void Timeline_with_only_the_previous_kernel_renders()
    {
        var doc = Render(new SyntheticUpdate().DaemonTimeline(SyntheticUpdate.DaemonEvents.Take(3)));
        Assert.Single(doc.Descendants(Svg + "g"), g => (string?)g.Attribute("class") == "client-lane");
    }

    /// <summary>With LIVEUPDATE_WRITE_EXAMPLE=DIR, writes the example SVG, table and JSON there (docs/telemetry-example.svg comes from here).</summary>
    [Fact]
    public void Example_for_the_docs_renders()
    {
        var report = UpdateReport.From(new SyntheticUpdate().FullTimeline());
        string svg = TimelineSvg.Render(report);
        XDocument.Parse(svg);
        if (Environment.GetEnvironmentVariable("LIVEUPDATE_WRITE_EXAMPLE") is { Length: > 0 } docs)
        {
            File.WriteAllText(Path.Combine(docs, "telemetry-example.svg"), svg);
            File.WriteAllText(Path.Combine(docs, "telemetry-example.txt"), ReportTable.From(report).ToText());
            File.WriteAllText(Path.Combine(docs, "telemetry-example.json"), TelemetryJson.Serialize(new SyntheticUpdate().FullTimeline()));
            var approximate = UpdateReport.From(new SyntheticUpdate { WithTsc = false }.FullTimeline());
            File.WriteAllText(Path.Combine(docs, "telemetry-example-realtime.svg"), TimelineSvg.Render(approximate));
            File.WriteAllText(Path.Combine(docs, "telemetry-example-realtime.txt"), ReportTable.From(approximate).ToText());
        }
    }
}
