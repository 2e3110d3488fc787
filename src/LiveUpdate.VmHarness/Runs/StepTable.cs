// StepTable: renders the guest's steps as an aligned text table (hop, release, step, ok, ms,
// detail) for the CLI and for test output.
using System.Globalization;
using System.Text;

namespace LiveUpdate.VmHarness.Runs;

public static class StepTable
{
    public const int DetailWidth = 100;

    public static string Format(GuestReport report, int detailWidth = DetailWidth)
    {
        string[] header = ["hop", "release", "step", "ok", "ms", "detail"];
        var rows = report.Steps.Select(s => new[]
        {
            s.Hop.ToString(CultureInfo.InvariantCulture),
            s.Release,
            s.Name,
            s.Ok ? "ok" : "FAIL",
            double.IsNaN(s.Ms) ? "-" : s.Ms.ToString("0", CultureInfo.InvariantCulture),
            Shorten(s.Detail, detailWidth),
        }).ToList();
        if (report.End is { } end)
        {
            rows.Add([end.Hop.ToString(CultureInfo.InvariantCulture), "", "(end)", end.Ok ? "ok" : "FAIL", "", Shorten(end.Detail, detailWidth)]);
        }

        var widths = Enumerable.Range(0, header.Length - 1)
            .Select(i => rows.Select(r => r[i].Length).Append(header[i].Length).Max())
            .ToArray();
        var text = new StringBuilder();
        foreach (var row in rows.Prepend(header))
        {
            for (var i = 0; i < widths.Length; i++)
            {
                text.Append(i == 4 ? row[i].PadLeft(widths[i]) : row[i].PadRight(widths[i])).Append("  ");
            }
            text.AppendLine(row[^1]);
        }
        return text.ToString();
    }

    private static string Shorten(string text, int width)
    {
        var oneLine = text.ReplaceLineEndings(" ");
        return oneLine.Length <= width ? oneLine : oneLine[..(width - 1)] + "…";
    }
}
