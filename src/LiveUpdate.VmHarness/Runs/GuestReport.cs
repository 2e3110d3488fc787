// GuestReport: everything lu-guest reported on ttyS1 for one run, parsed from results.jsonl:
// boot and step lines in order, the end verdict, plus lines that could not be understood.
using System.Text.Json;
using LiveUpdate.GuestContract;

namespace LiveUpdate.VmHarness.Runs;

public sealed record GuestReport(
    IReadOnlyList<GuestBoot> Boots,
    IReadOnlyList<GuestStep> Steps,
    GuestEnd? End,
    IReadOnlyList<string> Problems)
{
    public static readonly GuestReport Empty = new([], [], null, []);

    /// <summary>The highest hop any line mentions, or -1 when nothing was reported.</summary>
    public int HighestHop =>
        Boots.Select(b => b.Hop).Concat(Steps.Select(s => s.Hop)).Concat(End is null ? [] : [End.Hop]).DefaultIfEmpty(-1).Max();

    public static GuestReport ReadFile(string path) => File.Exists(path) ? Parse(File.ReadAllText(path)) : Empty;

    /// <summary>Parses JSON lines; tolerates \r, NULs and blank lines; records anything else as a problem.</summary>
    public static GuestReport Parse(string text)
    {
        var boots = new List<GuestBoot>();
        var steps = new List<GuestStep>();
        var problems = new List<string>();
        GuestEnd? end = null;
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            if (!TryParseLine(raw, out var parsed, out var error))
            {
                if (error is not null)
                {
                    problems.Add($"results line {number} {error}");
                }
                continue;
            }

            switch (parsed.Type)
            {
                case GuestReportLineTypes.Boot:
                    boots.Add(new GuestBoot(parsed.Hop ?? -1, parsed.Release ?? "?", parsed.UptimeMs ?? double.NaN));
                    break;
                case GuestReportLineTypes.Step:
                    steps.Add(new GuestStep(parsed.Hop ?? -1, parsed.Release ?? "?", parsed.Name ?? "?", parsed.Ok ?? false,
                        parsed.Ms ?? double.NaN, parsed.Detail ?? "", parsed.Kmsg ?? []));
                    break;
                case GuestReportLineTypes.End:
                    // lu-guest may write a failing end line and exit non-zero, and then /init adds its
                    // own: the first failure is the verdict; otherwise the last end line is.
                    var candidate = new GuestEnd(parsed.Hop ?? -1, parsed.Ok ?? false, parsed.Detail ?? "");
                    if (end is null || end.Ok)
                    {
                        end = candidate;
                    }
                    break;
                case GuestReportLineTypes.Mark:
                    // A timing mark (e.g. /init started): only live observers use it (GuestLineWatcher).
                    break;
                default:
                    problems.Add($"results line {number} has unknown type \"{parsed.Type}\": {Shorten(raw.Trim())}");
                    break;
            }
        }
        return new GuestReport(boots, steps, end, problems);
    }

    /// <summary>
    /// One results line: false for a blank line (<paramref name="error"/> null) or one that is
    /// not JSON (<paramref name="error"/> says so). Tolerates \r, NULs and surrounding blanks.
    /// </summary>
    public static bool TryParseLine(string raw, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out GuestReportLine? parsed, out string? error)
    {
        parsed = null;
        error = null;
        var line = raw.Trim('\r', '\0', ' ', '\t');
        if (line.Length == 0)
        {
            return false;
        }
        try
        {
            parsed = JsonSerializer.Deserialize(line, GuestReportJsonContext.Default.GuestReportLine);
        }
        catch (JsonException e)
        {
            error = $"is not JSON ({e.Message}): {Shorten(line)}";
            return false;
        }
        if (parsed is null)
        {
            error = "is JSON null";
            return false;
        }
        return true;
    }

    private static string Shorten(string line) => line.Length <= 200 ? line : line[..200] + "…";
}
