// KernelLogParser: kernel log lines from the two places they survive a live update —
// /dev/kmsg records of the running (next) kernel ("pri,seq,usec,flags;message", parsed by
// LiveUpdate.Kernel.KernelLog) and console text ("[   12.345678] message": serial logs of VM
// runs, and the previous kernel's console saved by pstore in /sys/fs/pstore/console-ramoops-*) — and the
// previous kernel's whole log as ramoops dumped it at KMSG_DUMP_SHUTDOWN, right before machine_kexec
// (dmesg-ramoops-*: "Shutdown#1 Part1", then "<6>[   12.345678] message" lines; with
// ramoops.max_reason=4), which holds what a quiet console never printed.
using System.Globalization;
using System.Text.RegularExpressions;
using LiveUpdate.Kernel;

namespace LiveUpdate.Telemetry;

/// <summary>One kernel log line: printk time in ns since that kernel booted, and the text.</summary>
public sealed record KernelLogLine(long TimestampNs, string Message);

/// <summary>The lines of one boot in a console log.</summary>
public sealed record ConsoleBoot(int Index, IReadOnlyList<KernelLogLine> Lines);

/// <summary>
/// The previous kernel's log as pstore kept it: the lines of its console record and of its newest kmsg dump,
/// in time order without duplicates; the files they came from; when the dump was written (the record's
/// time, CLOCK_REALTIME of the kernel that wrote it) so a caller can tell a stale dump of an older boot.
/// </summary>
public sealed record PstoreLog(IReadOnlyList<KernelLogLine> ConsoleLines, IReadOnlyList<KernelLogLine> DumpLines, IReadOnlyList<string> Files, DateTimeOffset? DumpedAt)
{
    /// <summary>Console and dump lines merged: time order, each (time, text) once.</summary>
    public IReadOnlyList<KernelLogLine> Lines { get; } = [.. ConsoleLines.Concat(DumpLines).Distinct().OrderBy(l => l.TimestampNs)];
}

public static partial class KernelLogParser
{
    // [0-9], not \d: \d matches every Unicode digit, which long.TryParse does not read.
    [GeneratedRegex(@"^\[\s*([0-9]+)\.([0-9]{1,9})\]\s?(.*)$")]
    private static partial Regex ConsoleLine();

    // A kmsg dump line's syslog prefix "<6>" (level and facility) before the console form.
    [GeneratedRegex(@"^<[0-9]{1,4}>")]
    private static partial Regex SyslogPrefix();

    // The first line of a pstore kmsg dump part: "Shutdown#1 Part1", "Oops#2 Part1", "Panic#1 Part3".
    [GeneratedRegex(@"^[A-Za-z]+#[0-9]+ Part[0-9]+$")]
    private static partial Regex DumpHeader();

    // ESC c (reset), CSI sequences (ESC [ ... final byte), and other two-byte escapes.
    [GeneratedRegex(@"\x1B(\[[0-9;?]*[ -/]*[@-~]|[@-Z\\-_]|c)")]
    private static partial Regex AnsiEscape();

    /// <summary>The lines of /dev/kmsg records (as <see cref="KernelLog.ReadAll"/> returns them).</summary>
    public static IReadOnlyList<KernelLogLine> FromRecords(IEnumerable<KernelLogRecord> records) =>
        records.Select(r => new KernelLogLine(r.TimestampMicroseconds * 1000, r.Message)).ToList();

    /// <summary>One raw /dev/kmsg record, "pri,seq,usec,flags;message".</summary>
    public static bool TryParseKmsg(string raw, out KernelLogLine line)
    {
        line = null!;
        if (!KernelLog.TryParse(raw, out var record)) return false;
        // A timestamp past long.MaxValue nanoseconds (292 years of uptime) is a damaged record, not a moment.
        if (record.TimestampMicroseconds > long.MaxValue / 1000) return false;
        line = new KernelLogLine(record.TimestampMicroseconds * 1000, record.Message);
        return true;
    }

    /// <summary>One console line, "[   12.345678] message" (escape sequences and CR are ignored).</summary>
    public static bool TryParseConsoleLine(string text, out KernelLogLine line)
    {
        line = null!;
        string clean = AnsiEscape().Replace(text, "").Trim('\r', '\n', '\0');
        var match = ConsoleLine().Match(clean);
        if (!match.Success) return false;
        // A time that does not fit in long nanoseconds (a damaged line, found by fuzzing) is not a kernel log line.
        if (!long.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds)
            || seconds > (long.MaxValue - 999_999_999) / 1_000_000_000)
            return false;
        string fraction = match.Groups[2].Value.PadRight(9, '0');
        long ns = seconds * 1_000_000_000 + long.Parse(fraction, NumberStyles.None, CultureInfo.InvariantCulture);
        line = new KernelLogLine(ns, match.Groups[3].Value.TrimEnd());
        return true;
    }

    /// <summary>
    /// Splits a console log into boots. A boot starts at "Linux version" or wherever the time falls back to 0;
    /// lines that are not kernel log lines (firmware, user-space output) are skipped.
    /// </summary>
    public static IReadOnlyList<ConsoleBoot> ParseConsole(string text)
    {
        var boots = new List<ConsoleBoot>();
        List<KernelLogLine>? current = null;
        foreach (string raw in text.Split('\n'))
        {
            if (!TryParseConsoleLine(raw, out var line)) continue;
            bool newBoot = current is null
                || line.Message.StartsWith("Linux version ", StringComparison.Ordinal)
                || (line.TimestampNs == 0 && current.Count > 0 && current[^1].TimestampNs > 0);
            if (newBoot)
            {
                current = [];
                boots.Add(new ConsoleBoot(boots.Count, current));
            }
            current!.Add(line);
        }
        return boots;
    }

    /// <summary>
    /// The lines of one pstore kmsg dump part (dmesg-ramoops-N): its "Reason#N PartM" header, then
    /// "&lt;6&gt;[   12.345678] message" lines (kmsg_dump_get_buffer's syslog form). Other lines are skipped.
    /// </summary>
    public static IReadOnlyList<KernelLogLine> ParseDump(string text)
    {
        var lines = new List<KernelLogLine>();
        foreach (string raw in text.Split('\n'))
        {
            string clean = raw.Trim('\r', '\0');
            if (DumpHeader().IsMatch(clean)) continue;
            if (TryParseConsoleLine(SyslogPrefix().Replace(clean, "", 1), out var line)) lines.Add(line);
        }
        return lines;
    }

    /// <summary>
    /// The previous kernel's log from pstore (docs/telemetry.md, "The previous kernel's log"): the last boot of the
    /// newest console-ramoops record and the newest dmesg-ramoops dump; null when pstore holds neither (not
    /// mounted, no ramoops, or a cold boot). Records pstore cannot read (a damaged compressed dump) are skipped.
    /// </summary>
    public static PstoreLog? ReadPstore(string directory = "/sys/fs/pstore")
    {
        try
        {
            if (!Directory.Exists(directory)) return null;
            var files = new DirectoryInfo(directory).GetFiles();
            FileInfo? Newest(string prefix) => files.Where(f => f.Name.StartsWith(prefix, StringComparison.Ordinal))
                .OrderBy(f => f.LastWriteTimeUtc).ThenBy(f => f.Name, StringComparer.Ordinal).LastOrDefault();
            var console = Newest("console-ramoops");
            var dump = Newest("dmesg-ramoops");
            IReadOnlyList<KernelLogLine> consoleLines = [], dumpLines = [];
            var used = new List<string>();
            if (console is not null && ParseConsole(File.ReadAllText(console.FullName)) is { Count: > 0 } boots)
            {
                consoleLines = boots[^1].Lines;
                used.Add(console.Name);
            }
            DateTimeOffset? dumpedAt = null;
            if (dump is not null && ParseDump(File.ReadAllText(dump.FullName)) is { Count: > 0 } dumped)
            {
                dumpLines = dumped;
                dumpedAt = new DateTimeOffset(dump.LastWriteTimeUtc, TimeSpan.Zero);
                used.Add(dump.Name);
            }
            return used.Count == 0 ? null : new PstoreLog(consoleLines, dumpLines, used, dumpedAt);
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
