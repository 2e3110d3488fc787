// TimelineSvg: one live update as a self-contained SVG (no external fonts, scripts or
// styles): a time axis, the two kernels as background bands (previous kernel / handover /
// next kernel), one bar per phase, the kernel-log milestones, one lane per client from
// "paused" to "resumed" with its blackout printed, and the total blackout. Spans that are
// only known to ±1 s (realtime basis) are hatched and labelled.
using System.Globalization;
using System.Text;

namespace LiveUpdate.Telemetry;

public static class TimelineSvg
{
    private const int Width = 1100;
    private const int LabelWidth = 200;
    private const int RightMargin = 40;
    private const int RowHeight = 24;
    private const int BarHeight = 14;
    private const string Font = "font-family=\"sans-serif\"";

    private static readonly Dictionary<UpdatePhase, string> PhaseColors = new()
    {
        [UpdatePhase.Staged] = "#9e9e9e",
        [UpdatePhase.Prepare] = "#f0a030",
        [UpdatePhase.Freeze] = "#d06020",
        [UpdatePhase.Reboot] = "#c03030",
        [UpdatePhase.KernelBoot] = "#8050c0",
        [UpdatePhase.Startup] = "#5060d0",
        [UpdatePhase.Restore] = "#2090c0",
        [UpdatePhase.Resume] = "#20a070",
        [UpdatePhase.Finish] = "#608030",
    };

    public static string Render(UpdateReport report)
    {
        var placed = report.Events.Where(e => e.OffsetNs is not null).Select(e => e.OffsetNs!.Value).ToList();
        long start = Math.Min(0, placed.Count > 0 ? placed.Min() : 0);
        long end = Math.Max(report.EndNs, start + 1_000_000);
        var axis = new Axis(start, end, LabelWidth, Width - RightMargin);

        var kernelEvents = report.Events.Where(e => e.Source != EventSource.Daemon && e.OffsetNs is not null).ToList();
        // Milestone labels go into the first row where they do not overlap the previous label.
        var milestoneRows = new List<int>();
        var rowEnds = new List<double>();
        foreach (var e in kernelEvents)
        {
            double x = axis.X(e.OffsetNs!.Value), width = 10 + MilestoneName(e.Name).Length * 6;
            int row = rowEnds.FindIndex(end => end < x - 4);
            if (row < 0) { row = rowEnds.Count; rowEnds.Add(0); }
            rowEnds[row] = x + width;
            milestoneRows.Add(row);
        }
        int phaseTop = 104;
        int kernelTop = phaseTop + report.Phases.Count * RowHeight + 10;
        int kernelRows = rowEnds.Count;
        int clientTop = kernelTop + kernelRows * (RowHeight - 4) + (kernelRows > 0 ? 18 : 0);
        int clientRows = report.Clients.Count + (report.TotalBlackoutNs is not null ? 1 : 0);
        int chartBottom = clientTop + Math.Max(clientRows, 0) * RowHeight + 6;
        int anomalyTop = chartBottom + 44;
        int height = anomalyTop + (report.Anomalies.Count > 0 ? 20 + report.Anomalies.Count * 16 : 0) + 10;

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" {Font} font-size=\"12\">\n");
        svg.Append("<title>").Append(Esc($"Live update {report.UpdateId}")).Append("</title>\n");
        svg.Append("<defs><pattern id=\"hatch\" patternUnits=\"userSpaceOnUse\" width=\"8\" height=\"8\" patternTransform=\"rotate(45)\">")
           .Append("<rect width=\"8\" height=\"8\" fill=\"#ffffff\" fill-opacity=\"0\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" stroke=\"#000000\" stroke-opacity=\"0.35\" stroke-width=\"3\"/></pattern></defs>\n");
        svg.Append("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");

        // Title and summary.
        string title = $"Live update {report.UpdateId}: {report.PreviousRelease ?? "?"} → {report.NextRelease ?? "?"}" + (report.KexecCount > 0 ? $" (kexec #{report.KexecCount})" : "");
        Text(svg, 16, 24, title, "font-size=\"16\" font-weight=\"bold\"");
        string basis = report.ClockBasis == ClockBasis.Tsc
            ? $"clock basis: TSC{(report.TscHz is { } hz ? $" @ {(hz / 1e6).ToString("0.000", CultureInfo.InvariantCulture)} MHz" : "")}, exact across the kexec"
            : "clock basis: CLOCK_REALTIME (the next kernel's clock came from the RTC) — spans across the kexec ±1 s (hatched); spans within one kernel exact";
        string total = report.TotalBlackoutNs is { } tb ? $"total blackout {Durations.Format(tb, report.TotalBlackoutApproximate)}" : "no client blackout recorded";
        Text(svg, 16, 44, total, "fill=\"#444444\" font-weight=\"bold\"");
        Text(svg, 16, 60, basis, "fill=\"#444444\" font-size=\"11\"");

        // Kernel bands, named in a legend (a band may be too narrow for its name).
        int bandTop = 68, bandBottom = chartBottom;
        Legend(svg, report, approx: report.UncertaintyNs > 0);
        long? reboot = report.Handover?.RebootNs;
        long? daemon = report.Handover?.DaemonStartNs ?? report.Handover?.InitNs ?? report.Handover?.NextKernelBootNs;
        bool approx = report.UncertaintyNs > 0;
        if (reboot is { } r)
        {
            Band(svg, axis, start, r, bandTop, bandBottom, PreviousFill, $"previous kernel {report.PreviousRelease}", false);
            if (daemon is { } d && d > r)
            {
                Band(svg, axis, r, d, bandTop, bandBottom, HandoverFill, approx ? "handover (±1 s)" : "handover", approx);
                Band(svg, axis, d, end, bandTop, bandBottom, NextFill, $"next kernel {report.NextRelease}", false);
            }
            else Band(svg, axis, r, end, bandTop, bandBottom, HandoverFill, "handover / next kernel", approx);
        }
        else Band(svg, axis, start, end, bandTop, bandBottom, PreviousFill, "", false);
        if (report.Handover?.NextKernelBootNs is { } boot)
        {
            double x = axis.X(boot);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x:0.#}\" y1=\"{bandTop}\" x2=\"{x:0.#}\" y2=\"{bandBottom}\" stroke=\"#c03030\" stroke-dasharray=\"4 3\"/>\n");
            Text(svg, x + 3, bandTop + 26, approx ? "next kernel t=0 (±1 s)" : "next kernel t=0", "font-size=\"10\" fill=\"#c03030\"");
        }

        // Phases.
        SectionLabel(svg, phaseTop - 8, "Phases");
        for (int i = 0; i < report.Phases.Count; i++)
        {
            var p = report.Phases[i];
            int y = phaseTop + i * RowHeight;
            Text(svg, 16, y + 15, PhaseName(p.Phase), "");
            string label = Durations.Format(p.DurationNs, p.DurationApproximate);
            Bar(svg, axis, p.StartNs, p.StartNs + Math.Max(0, p.DurationNs), y + 4, PhaseColors[p.Phase], label, p.DurationApproximate, $"phase {p.Phase}");
        }

        // Kernel log milestones, labels alternating between two rows.
        if (kernelRows > 0)
        {
            SectionLabel(svg, kernelTop + 4, "Kernel log");
            for (int i = 0; i < kernelEvents.Count; i++)
            {
                var e = kernelEvents[i];
                double x = axis.X(e.OffsetNs!.Value);
                int y = kernelTop + 8 + milestoneRows[i] * (RowHeight - 4);
                string color = e.Kernel == KernelSide.Previous ? "#1f4e8c" : "#6a3fa0";
                svg.Append(CultureInfo.InvariantCulture, $"<path d=\"M{x:0.#},{y} l5,6 l-5,6 l-5,-6 z\" fill=\"{color}\"><title>{Esc($"{e.Name} at {Durations.Format(e.OffsetNs.Value)}{(e.Detail is { } d ? " — " + d : "")}")}</title></path>\n");
                Text(svg, x + 7, y + 10, MilestoneName(e.Name), $"font-size=\"10\" fill=\"{color}\"");
            }
        }

        // Clients.
        if (clientRows > 0) SectionLabel(svg, clientTop - 4, "Clients (paused → resumed)");
        for (int i = 0; i < report.Clients.Count; i++)
        {
            var c = report.Clients[i];
            int y = clientTop + 6 + i * RowHeight;
            svg.Append("<g class=\"client-lane\" data-client=\"").Append(Esc(c.Client)).Append("\">\n");
            Text(svg, 16, y + 12, c.Client, "font-weight=\"bold\"");
            if (c.PausedNs is { } p)
            {
                long to = c.ResumedNs ?? end;
                string label = c.BlackoutNs is { } b ? $"blackout {Durations.Format(b, c.Approximate)}" : "never resumed";
                Bar(svg, axis, p, Math.Max(p, to), y, c.ResumedNs is null ? "#b0b0b0" : "#d04848", label, c.Approximate, $"client {c.Client}");
                if (c.ClaimedNs is { } cl)
                {
                    double x = axis.X(cl);
                    svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x:0.#}\" y1=\"{y - 2}\" x2=\"{x:0.#}\" y2=\"{y + BarHeight + 2}\" stroke=\"#222222\" stroke-width=\"2\"><title>{Esc($"{c.Client} claimed its sessions")}</title></line>\n");
                }
            }
            svg.Append("</g>\n");
        }
        if (report.TotalBlackoutNs is { } totalNs && report.TotalBlackoutStartNs is { } totalStart)
        {
            int y = clientTop + 6 + report.Clients.Count * RowHeight;
            Text(svg, 16, y + 12, "total blackout", "font-style=\"italic\"");
            Bar(svg, axis, totalStart, totalStart + totalNs, y, "#802020", Durations.Format(totalNs, report.TotalBlackoutApproximate), report.TotalBlackoutApproximate, "total blackout");
        }

        // Axis.
        int axisY = chartBottom + 4;
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{LabelWidth}\" y1=\"{axisY}\" x2=\"{Width - RightMargin}\" y2=\"{axisY}\" stroke=\"#333333\"/>\n");
        foreach (var (ns, label) in axis.Ticks())
        {
            double x = axis.X(ns);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x:0.#}\" y1=\"{axisY}\" x2=\"{x:0.#}\" y2=\"{axisY + 5}\" stroke=\"#333333\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x:0.#}\" y1=\"{bandTop + 30}\" x2=\"{x:0.#}\" y2=\"{axisY}\" stroke=\"#000000\" stroke-opacity=\"0.07\"/>\n");
            Text(svg, x, axisY + 18, label, "text-anchor=\"middle\" font-size=\"11\"");
        }
        Text(svg, Width - RightMargin, axisY + 34, "time since the update was staged", "text-anchor=\"end\" font-size=\"10\" fill=\"#666666\"");

        if (report.Anomalies.Count > 0)
        {
            Text(svg, 16, anomalyTop, "Anomalies", "font-weight=\"bold\" fill=\"#b00000\"");
            for (int i = 0; i < report.Anomalies.Count; i++)
                Text(svg, 16, anomalyTop + 16 * (i + 1), "! " + report.Anomalies[i], "font-size=\"11\" fill=\"#b00000\"");
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static string PhaseName(UpdatePhase phase) => phase switch
    {
        UpdatePhase.KernelBoot => "kernel boot",
        _ => phase.ToString().ToLowerInvariant(),
    };

    private static string MilestoneName(string name) => name switch
    {
        TimelineEvents.KernelShutdown => "Starting new kernel",
        TimelineEvents.KernelBoot => "boot",
        TimelineEvents.KhoFound => "KHO data found",
        TimelineEvents.LuoRetrieved => "LUO data retrieved",
        TimelineEvents.KhoExecFrom => "KHO exec from",
        TimelineEvents.KernelInit => "/init",
        _ => name,
    };

    private static void SectionLabel(StringBuilder svg, int y, string text) =>
        Text(svg, 8, y, text, "font-size=\"10\" fill=\"#777777\" font-weight=\"bold\"");

    private static void Band(StringBuilder svg, Axis axis, long from, long to, int top, int bottom, string fill, string label, bool hatched)
    {
        double x1 = axis.X(from), x2 = axis.X(to), w = Math.Max(0.5, x2 - x1);
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x1:0.#}\" y=\"{top}\" width=\"{w:0.#}\" height=\"{bottom - top}\" fill=\"{fill}\"/>\n");
        if (hatched)
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x1:0.#}\" y=\"{top}\" width=\"{w:0.#}\" height=\"{bottom - top}\" fill=\"url(#hatch)\" opacity=\"0.4\"/>\n");
        if (label.Length > 0 && w > label.Length * 6.2 + 8)
            Text(svg, x1 + 4, top + 12, label, "font-size=\"11\" fill=\"#555555\"");
    }

    private const string PreviousFill = "#e8f0fb", HandoverFill = "#fdf0dc", NextFill = "#e6f5e9";

    private static void Legend(StringBuilder svg, UpdateReport report, bool approx)
    {
        (string Fill, string Label, bool Hatched)[] items =
        [
            (PreviousFill, $"previous kernel {report.PreviousRelease}", false),
            (HandoverFill, approx ? "handover: reboot() → luod (±1 s)" : "handover: reboot() → luod", approx),
            (NextFill, $"next kernel {report.NextRelease}", false),
        ];
        double x = Width - RightMargin;
        for (int i = items.Length - 1; i >= 0; i--)
        {
            var (fill, label, hatched) = items[i];
            x -= label.Length * 6.2 + 26;
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x:0.#}\" y=\"34\" width=\"14\" height=\"12\" fill=\"{fill}\" stroke=\"#999999\" stroke-width=\"0.5\"/>\n");
            if (hatched) svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x:0.#}\" y=\"34\" width=\"14\" height=\"12\" fill=\"url(#hatch)\"/>\n");
            Text(svg, x + 18, 44, label, "font-size=\"11\" fill=\"#444444\"");
        }
    }

    private static void Bar(StringBuilder svg, Axis axis, long from, long to, int y, string color, string label, bool hatched, string tooltip)
    {
        double x1 = axis.X(from), x2 = axis.X(to), w = Math.Max(2, x2 - x1);
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x1:0.#}\" y=\"{y}\" width=\"{w:0.#}\" height=\"{BarHeight}\" rx=\"2\" fill=\"{color}\"><title>{Esc($"{tooltip}: {label}")}</title></rect>\n");
        if (hatched)
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x1:0.#}\" y=\"{y}\" width=\"{w:0.#}\" height=\"{BarHeight}\" rx=\"2\" fill=\"url(#hatch)\"/>\n");
        double labelWidth = label.Length * 6.5;
        if (w > labelWidth + 8)
            Text(svg, x1 + 4, y + 11, label, "fill=\"#ffffff\" font-size=\"11\"");
        else if (x2 + 4 + labelWidth < Width - 4)
            Text(svg, x1 + w + 4, y + 11, label, "fill=\"#222222\" font-size=\"11\"");
        else
            Text(svg, x1 - 4, y + 11, label, "fill=\"#222222\" font-size=\"11\" text-anchor=\"end\"");
    }

    private static void Text(StringBuilder svg, double x, double y, string text, string attributes) =>
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x:0.#}\" y=\"{y:0.#}\" {attributes}>{Esc(text)}</text>\n");

    /// <summary>XML-escapes text and attribute values, dropping characters XML 1.0 cannot carry.</summary>
    internal static string Esc(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\'': sb.Append("&apos;"); break;
                case '\t' or '\n' or '\r': sb.Append(c); break;
                case < ' ' or '\uFFFE' or '\uFFFF': break;
                default: sb.Append(c); break;
            }
        }
        return sb.ToString();
    }

    private sealed class Axis(long start, long end, double left, double right)
    {
        public double X(long ns) => left + (right - left) * (ns - start) / (double)(end - start);

        /// <summary>Ticks at 1/2/5 × 10^k, 6 to 12 of them, labelled in ms below 2 s and in s above.</summary>
        public IEnumerable<(long Ns, string Label)> Ticks()
        {
            double span = end - start;
            double raw = span / 8;
            double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
            double step = new[] { 1.0, 2.0, 5.0, 10.0 }.Select(m => m * magnitude).First(s => span / s <= 12);
            bool seconds = span >= 2e9;
            for (double t = Math.Ceiling(start / step) * step; t <= end + 1; t += step)
            {
                string label = seconds
                    ? (t / 1e9).ToString(step >= 1e9 ? "0" : step >= 1e8 ? "0.0" : "0.00", CultureInfo.InvariantCulture) + " s"
                    : (t / 1e6).ToString(step >= 1e6 ? "0" : "0.###", CultureInfo.InvariantCulture) + " ms";
                yield return ((long)t, label);
            }
        }
    }
}
