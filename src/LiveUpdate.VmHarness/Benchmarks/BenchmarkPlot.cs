// BenchmarkPlot: docs/benchmarks.svg, a self-contained SVG (no fonts, scripts or styles from
// outside; hand-written like TimelineSvg): blackout against preserved size for ours with 4 KiB
// pages, ours with shmem THP, luod + lucache through `luoctl update` (4 KiB / THP) and the old way — the median as a point on a line, the min–max as a
// whisker — and the floor (bare kexec) as a dashed horizontal line, with the slopes in the legend.
using System.Globalization;
using System.Text;

namespace LiveUpdate.VmHarness.Benchmarks;

public static class BenchmarkPlot
{
    private const int Width = 900, Height = 520;
    private const int Left = 80, Right = 250, Top = 50, Bottom = 60;

    private static readonly Dictionary<string, (string Color, string Label)> Series = new()
    {
        ["ours.4k"] = ("#2070c0", "ours, 4 KiB pages (reboot → restored)"),
        ["ours.thp"] = ("#20a060", "ours, shmem THP (reboot → restored)"),
        ["luodpath.4k"] = ("#8040b0", "luod + lucache, 4 KiB pages (pause → serving)"),
        ["luodpath.thp"] = ("#c08020", "luod + lucache, shmem THP (pause → serving)"),
        ["oldway"] = ("#c04030", "old way: save, cold reboot, reload"),
    };

    public static string Render(BenchmarkResults results)
    {
        var lines = new List<(string Series, IReadOnlyList<(int SizeMiB, BenchSummary Median)> Points)>();
        foreach (string series in BenchmarkAnalysis.PlotSeries)
        {
            var points = BenchmarkAnalysis.SeriesPoints(results.Samples, results.Summaries, series, BenchmarkAnalysis.BlackoutMs);
            if (points.Count > 0) lines.Add((series, points));
        }
        double? floor = results.Summary("floor", BenchmarkAnalysis.KernelMs)?.Median;
        double maxSize = Math.Max(1, lines.SelectMany(l => l.Points).Select(p => (double)p.SizeMiB).DefaultIfEmpty(1).Max());
        double maxMs = Math.Max(floor ?? 0, lines.SelectMany(l => l.Points).Select(p => p.Median.Max).DefaultIfEmpty(1).Max());
        double yTop = NiceCeiling(maxMs * 1.05);
        double xRight = NiceCeiling(maxSize);
        int plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        double X(double mib) => Left + mib / xRight * plotW;
        double Y(double ms) => Top + plotH - ms / yTop * plotH;

        var svg = new StringBuilder();
        svg.Append(F($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n"));
        svg.Append("<title>Blackout against preserved size</title>\n");
        svg.Append("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
        Text(svg, Left, 24, $"Blackout against preserved size — Linux {results.GuestKernel}, QEMU TCG, {results.Date:yyyy-MM-dd}", "font-size=\"15\" font-weight=\"bold\"");
        Text(svg, Left, 40, "median of the runs, whiskers min–max; host clock", "fill=\"#555555\" font-size=\"11\"");

        // Axes and grid.
        for (int i = 0; i <= 5; i++)
        {
            double ms = yTop * i / 5, y = Y(ms);
            svg.Append(F($"<line x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Left + plotW}\" y2=\"{y:0.#}\" stroke=\"#e4e4e4\"/>\n"));
            Text(svg, Left - 6, y + 4, Seconds(ms), "text-anchor=\"end\" fill=\"#444444\"");
        }
        for (int i = 0; i <= 4; i++)
        {
            double mib = xRight * i / 4, x = X(mib);
            svg.Append(F($"<line x1=\"{x:0.#}\" y1=\"{Top}\" x2=\"{x:0.#}\" y2=\"{Top + plotH}\" stroke=\"#f0f0f0\"/>\n"));
            Text(svg, x, Top + plotH + 16, mib >= 1024 ? F($"{mib / 1024:0.##} GiB") : F($"{mib:0.#} MiB"), "text-anchor=\"middle\" fill=\"#444444\"");
        }
        svg.Append(F($"<line x1=\"{Left}\" y1=\"{Top + plotH}\" x2=\"{Left + plotW}\" y2=\"{Top + plotH}\" stroke=\"#000000\"/>\n"));
        svg.Append(F($"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Top + plotH}\" stroke=\"#000000\"/>\n"));
        Text(svg, Left + plotW / 2.0, Height - 18, "preserved (or saved) data", "text-anchor=\"middle\"");
        Text(svg, 18, Top + plotH / 2.0, "blackout", F($"text-anchor=\"middle\" transform=\"rotate(-90 18 {Top + plotH / 2.0:0.#})\""));

        if (floor is { } f)
        {
            double y = Y(f);
            svg.Append(F($"<line x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Left + plotW}\" y2=\"{y:0.#}\" stroke=\"#777777\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\n"));
        }

        foreach (var (series, points) in lines)
        {
            string color = Series[series].Color;
            svg.Append("<polyline fill=\"none\" stroke=\"").Append(color).Append("\" stroke-width=\"2\" points=\"")
               .Append(string.Join(' ', points.Select(p => F($"{X(p.SizeMiB):0.#},{Y(p.Median.Median):0.#}")))).Append("\"/>\n");
            foreach (var (size, summary) in points)
            {
                double x = X(size);
                if (summary.Max > summary.Min)
                {
                    svg.Append(F($"<line x1=\"{x:0.#}\" y1=\"{Y(summary.Min):0.#}\" x2=\"{x:0.#}\" y2=\"{Y(summary.Max):0.#}\" stroke=\"{color}\"/>\n"));
                    svg.Append(F($"<line x1=\"{x - 4:0.#}\" y1=\"{Y(summary.Min):0.#}\" x2=\"{x + 4:0.#}\" y2=\"{Y(summary.Min):0.#}\" stroke=\"{color}\"/>\n"));
                    svg.Append(F($"<line x1=\"{x - 4:0.#}\" y1=\"{Y(summary.Max):0.#}\" x2=\"{x + 4:0.#}\" y2=\"{Y(summary.Max):0.#}\" stroke=\"{color}\"/>\n"));
                }
                svg.Append(F($"<circle cx=\"{x:0.#}\" cy=\"{Y(summary.Median):0.#}\" r=\"4\" fill=\"{color}\"><title>{summary.Case}: {BenchmarkAnalysis.Ms(summary.Median)} ms</title></circle>\n"));
            }
        }

        // Legend with slopes.
        double legendX = Left + plotW + 20, legendY = Top + 10;
        foreach (var (series, _) in lines)
        {
            var (color, label) = Series[series];
            svg.Append(F($"<line x1=\"{legendX:0.#}\" y1=\"{legendY:0.#}\" x2=\"{legendX + 22:0.#}\" y2=\"{legendY:0.#}\" stroke=\"{color}\" stroke-width=\"2\"/>\n"));
            svg.Append(F($"<circle cx=\"{legendX + 11:0.#}\" cy=\"{legendY:0.#}\" r=\"4\" fill=\"{color}\"/>\n"));
            Wrapped(svg, legendX + 28, legendY + 4, label);
            var slope = results.Slopes.FirstOrDefault(s => s.Series == series && s.Metric == BenchmarkAnalysis.BlackoutMs);
            if (slope is not null) Text(svg, legendX + 28, legendY + 34, F($"{slope.MsPerGiB:0} ms per GiB"), "fill=\"#555555\" font-size=\"11\"");
            legendY += 56;
        }
        if (floor is { } floorMs)
        {
            svg.Append(F($"<line x1=\"{legendX:0.#}\" y1=\"{legendY:0.#}\" x2=\"{legendX + 22:0.#}\" y2=\"{legendY:0.#}\" stroke=\"#777777\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\n"));
            Wrapped(svg, legendX + 28, legendY + 4, $"floor: bare kexec, nothing preserved ({Seconds(floorMs)})");
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>The next 1, 2 or 5 × 10^n at or above <paramref name="value"/>.</summary>
    public static double NiceCeiling(double value)
    {
        if (value <= 0 || double.IsNaN(value)) return 1;
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (double step in new[] { 1, 2, 2.5, 5, 10 })
            if (step * magnitude >= value) return step * magnitude;
        return 10 * magnitude;
    }

    private static string Seconds(double ms) => ms >= 1000 ? F($"{ms / 1000:0.#} s") : F($"{ms:0} ms");

    /// <summary>A label broken into lines of at most 30 characters, 14 px apart.</summary>
    private static void Wrapped(StringBuilder svg, double x, double y, string text)
    {
        var line = new StringBuilder();
        foreach (string word in text.Split(' '))
        {
            if (line.Length > 0 && line.Length + word.Length > 30)
            {
                Text(svg, x, y, line.ToString(), "");
                y += 14;
                line.Clear();
            }
            line.Append(line.Length > 0 ? " " : "").Append(word);
        }
        if (line.Length > 0) Text(svg, x, y, line.ToString(), "");
    }

    private static void Text(StringBuilder svg, double x, double y, string text, string attributes) =>
        svg.Append(F($"<text x=\"{x:0.#}\" y=\"{y:0.#}\" {attributes}>")).Append(Escape(text)).Append("</text>\n");

    private static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
