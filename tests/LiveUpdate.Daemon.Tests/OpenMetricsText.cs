// OpenMetricsText: what a scraper reads from luod's metrics text — each family's TYPE and every
// sample as name, labels and value — for the exposition tests to assert on (a small reader of the
// OpenMetrics text format: '# TYPE/HELP/UNIT' lines, 'name{a="b",…} value' samples, '# EOF').
using System.Globalization;
using System.Text.RegularExpressions;

namespace LiveUpdate.Daemon.Tests;

internal sealed record OpenMetricsSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

internal sealed partial class OpenMetricsText
{
    public Dictionary<string, string> Types { get; } = [];
    public List<OpenMetricsSample> Samples { get; } = [];
    public bool EndsWithEof { get; private set; }

    public static OpenMetricsText Parse(string text)
    {
        var parsed = new OpenMetricsText();
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line == "# EOF") { parsed.EndsWithEof = true; continue; }
            Assert.False(parsed.EndsWithEof, $"a line after # EOF: {line}");
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                string[] parts = line.Split(' ');
                parsed.Types[parts[2]] = parts[3];
                continue;
            }
            if (line.StartsWith('#')) continue;
            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"not a sample line: {line}");
            var labels = new Dictionary<string, string>();
            foreach (Match label in LabelPair().Matches(match.Groups["labels"].Value))
                labels[label.Groups[1].Value] = label.Groups[2].Value.Replace("\\\"", "\"").Replace("\\\\", "\\");
            parsed.Samples.Add(new OpenMetricsSample(match.Groups["name"].Value, labels,
                double.Parse(match.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture)));
        }
        return parsed;
    }

    /// <summary>The one sample of <paramref name="name"/> with exactly these labels (name=value pairs).</summary>
    public double Value(string name, params (string Name, string Value)[] labels)
    {
        var matching = Samples.Where(s => s.Name == name && s.Labels.Count == labels.Length && labels.All(l => s.Labels.TryGetValue(l.Name, out var v) && v == l.Value)).ToList();
        Assert.True(matching.Count == 1, $"{matching.Count} samples of {name}{{{string.Join(",", labels.Select(l => $"{l.Name}=\"{l.Value}\""))}}} in:\n{string.Join("\n", Samples.Where(s => s.Name.StartsWith(name.Split('{')[0], StringComparison.Ordinal)).Select(s => $"{s.Name} {string.Join(",", s.Labels)} {s.Value}"))}");
        return matching[0].Value;
    }

    public bool Has(string name) => Samples.Any(s => s.Name == name);

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)( \S+)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex LabelPair();
}
