// ReportTable: an UpdateReport as rows of text cells, for luoctl to put in a terminal table
// (Spectre.Console or plain text via ToText). Approximate values read "≈… ±1 s".
using System.Globalization;
using System.Text;

namespace LiveUpdate.Telemetry;

public sealed record PhaseRow(string Phase, string Start, string Duration, string Share, string Note);

public sealed record ClientRow(string Client, string Paused, string Resumed, string Blackout, string Note);

public sealed record HandoverRow(string Step, string At, string Duration);

public sealed record ReportTable(
    string Title,
    IReadOnlyList<string> Summary,
    IReadOnlyList<PhaseRow> Phases,
    IReadOnlyList<ClientRow> Clients,
    IReadOnlyList<HandoverRow> Handover,
    IReadOnlyList<string> Anomalies,
    IReadOnlyList<string> ClockNotes)
{
    public static readonly string[] PhaseColumns = ["Phase", "Start", "Duration", "Share", "Note"];
    public static readonly string[] ClientColumns = ["Client", "Paused at", "Resumed at", "Blackout", "Note"];
    public static readonly string[] HandoverColumns = ["Kernel handover", "At", "Since previous step"];

    public static ReportTable From(UpdateReport report)
    {
        string title = $"Live update {report.UpdateId}: {report.PreviousRelease ?? "?"} → {report.NextRelease ?? "?"}" +
                       (report.KexecCount > 0 ? $" (kexec #{report.KexecCount})" : "");
        var summary = new List<string>
        {
            report.ClockBasis == ClockBasis.Tsc
                ? $"Clock basis: TSC{(report.TscHz is { } hz ? $" at {(hz / 1e6).ToString("0.000", CultureInfo.InvariantCulture)} MHz" : "")} (exact across the kexec)"
                : "Clock basis: CLOCK_REALTIME (next kernel's times ±1 s: its clock came from the RTC)",
        };
        if (report.OriginRealtimeNs is { } origin)
            summary.Add($"Start: {DateTimeOffset.UnixEpoch.AddTicks(origin / 100):yyyy-MM-dd HH:mm:ss.fff} UTC");
        if (report.TotalBlackoutNs is { } total)
            summary.Add($"Total blackout (first pause → last resume): {Durations.Format(total, report.TotalBlackoutApproximate)}");

        long whole = report.Phases.Sum(p => Math.Max(0, p.DurationNs));
        var phases = report.Phases.Select(p => new PhaseRow(
            p.Phase.ToString(),
            Offset(p.StartNs, p.StartApproximate),
            Durations.Format(p.DurationNs, p.DurationApproximate),
            whole > 0 && p.DurationNs >= 0 ? (100.0 * p.DurationNs / whole).ToString("0.0", CultureInfo.InvariantCulture) + " %" : "",
            PhaseNote(p.Phase))).ToList();

        var clients = report.Clients.Select(c => new ClientRow(
            c.Client,
            c.PausedNs is { } p ? Offset(p, false) : "—",
            c.ResumedNs is { } r ? Offset(r, report.UncertaintyNs > 0) : "—",
            c.BlackoutNs is { } b ? Durations.Format(b, c.Approximate) : "—",
            c.ResumedNs is null ? "never resumed" : c.ClaimedNs is { } cl && c.ResumedNs is { } rr ? $"claimed {Durations.Format(rr - cl)} before resuming" : "")).ToList();

        var handover = new List<HandoverRow>();
        if (report.Handover is { } h)
        {
            bool approx = h.Approximate;
            handover.Add(new HandoverRow(h.Systemd.Count > 0 ? "reboot handed to systemd (kexec.target)" : "reboot(LINUX_REBOOT_CMD_KEXEC) called", Offset(h.RebootNs, false), ""));
            long previous = h.RebootNs;
            // systemd's shutdown steps, the previous kernel's own shutdown lines (pstore) and its last line, in time order.
            var shutdown = h.Systemd.Select(m => (m.AtNs, Step: SystemdShutdown.Describe(m.Event)))
                .Concat(h.PreviousKernelLines.Select(m => (m.AtNs, Step: "previous kernel: " + m.Event)))
                .Concat(h.PreviousKernelShutdownNs is { } s ? [(s, "previous kernel: Starting new kernel")] : [])
                .OrderBy(m => m.AtNs);
            foreach (var (at, step) in shutdown)
            {
                handover.Add(new HandoverRow(step, Offset(at, false), Durations.Format(at - previous)));
                previous = at;
            }
            if (h.NextKernelBootNs is { } b)
                handover.Add(new HandoverRow("next kernel: time 0", Offset(b, approx), Opt(h.JumpDurationNs, approx)));
            if (h.InitNs is { } i)
                handover.Add(new HandoverRow("next kernel: Run /init", Offset(i, approx), Opt(h.BootToInitNs, false)));
            if (h.DaemonStartNs is { } d)
                handover.Add(new HandoverRow("luod started", Offset(d, approx), Opt(h.InitToDaemonNs, false)));
            if (h.TotalNs is { } t)
                handover.Add(new HandoverRow("reboot call → luod started", "", Durations.Format(t, approx)));
        }
        return new ReportTable(title, summary, phases, clients, handover, report.Anomalies, report.ClockNotes);
    }

    private static string Opt(long? ns, bool approximate) => ns is { } v ? Durations.Format(v, approximate) : "";

    private static string Offset(long ns, bool approximate) =>
        ns == 0 ? "0" : (approximate ? "≈" : "") + (ns < 0 ? "−" : "+") + Durations.Format(Math.Abs(ns));

    private static string PhaseNote(UpdatePhase phase) => phase switch
    {
        UpdatePhase.Staged => "next kernel loaded, clients running",
        UpdatePhase.Prepare => "clients quiescing",
        UpdatePhase.Freeze => "catalog written, sessions frozen",
        UpdatePhase.Reboot => "previous kernel shuts down, kexec jump",
        UpdatePhase.KernelBoot => "next kernel boots, KHO/LUO restore",
        UpdatePhase.Startup => "/init until luod",
        UpdatePhase.Restore => "catalog and sessions restored",
        UpdatePhase.Resume => "clients claim and resume",
        UpdatePhase.Finish => "FINISH",
        _ => "",
    };

    /// <summary>Plain fixed-width text (for logs and terminals without Spectre).</summary>
    public string ToText()
    {
        var sb = new StringBuilder();
        sb.AppendLine(Title);
        foreach (string line in Summary) sb.AppendLine("  " + line);
        sb.AppendLine();
        Table(sb, PhaseColumns, Phases.Select(p => new[] { p.Phase, p.Start, p.Duration, p.Share, p.Note }));
        if (Clients.Count > 0)
        {
            sb.AppendLine();
            Table(sb, ClientColumns, Clients.Select(c => new[] { c.Client, c.Paused, c.Resumed, c.Blackout, c.Note }));
        }
        if (Handover.Count > 0)
        {
            sb.AppendLine();
            Table(sb, HandoverColumns, Handover.Select(h => new[] { h.Step, h.At, h.Duration }));
        }
        if (Anomalies.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Anomalies:");
            foreach (string a in Anomalies) sb.AppendLine("  ! " + a);
        }
        if (ClockNotes.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Clock notes:");
            foreach (string n in ClockNotes) sb.AppendLine("  - " + n);
        }
        return sb.ToString();
    }

    private static void Table(StringBuilder sb, string[] columns, IEnumerable<string[]> rows)
    {
        var all = rows.ToList();
        int[] widths = columns.Select((c, i) => Math.Max(c.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length))).ToArray();
        string Row(string[] cells) => string.Join("  ", cells.Select((c, i) => i == 0 || i == cells.Length - 1 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd();
        sb.AppendLine(Row(columns));
        sb.AppendLine(string.Join("  ", widths.Select(w => new string('─', w))));
        foreach (var r in all) sb.AppendLine(Row(r));
    }
}
