// KernelLogParser: kernel log lines from the two places they survive a live update —
// /dev/kmsg records of the running (next) kernel ("pri,seq,usec,flags;message", parsed by
// LiveUpdate.Kernel.KernelLog) and console text ("[   12.345678] message": serial logs of VM
// runs, and the previous kernel's console saved by pstore in /sys/fs/pstore/console-ramoops-*).
using System.Globalization;
using System.Text.RegularExpressions;
using LiveUpdate.Kernel;

namespace LiveUpdate.Telemetry;

/// <summary>One kernel log line: printk time in ns since that kernel booted, and the text.</summary>
public sealed record KernelLogLine(long TimestampNs, string Message);

/// <summary>The lines of one boot in a console log.</summary>
public sealed record ConsoleBoot(int Index, IReadOnlyList<KernelLogLine> Lines);

public static partial class KernelLogParser
{
    // [0-9], not \d: \d matches every Unicode digit, which long.TryParse does not read.
    [GeneratedRegex(@"^\[\s*([0-9]+)\.([0-9]{1,9})\]\s?(.*)$")]
    private static partial Regex ConsoleLine();

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
    /// The previous kernel's console from pstore (console-ramoops-*), or null when pstore holds none.
    /// ramoops keeps one boot's console; if several are present, the last boot of the newest file is used.
    /// </summary>
    public static IReadOnlyList<KernelLogLine>? ReadPstoreConsole(string directory = "/sys/fs/pstore")
    {
        try
        {
            if (!Directory.Exists(directory)) return null;
            var file = new DirectoryInfo(directory).GetFiles("console-ramoops*").OrderBy(f => f.LastWriteTimeUtc).ThenBy(f => f.Name, StringComparer.Ordinal).LastOrDefault();
            if (file is null) return null;
            var boots = ParseConsole(File.ReadAllText(file.FullName));
            return boots.Count > 0 ? boots[^1].Lines : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
