// ConsoleLogAnalysis: reads the serial console (console.log) of a run: the boot-to-init time of
// each hop (printk timestamp of "Run /init as init process"), the initramfs unpack time of each
// boot, and the tail shown on failure.
//
// The unpack: Linux 7.2/7.3 print "Unpacking initramfs..." (or "Trying to unpack rootfs image as
// initramfs..." with CONFIG_BLK_DEV_RAM) when it starts, and "Freeing initrd memory: NK" when it
// ends — but not with retain_initrd (the harness's command line keeps the initrd for the next
// kexec), and the unpack runs asynchronously beside the remaining initcalls. /init cannot start
// before it has finished (wait_for_initramfs), so without the freeing line the end is "Run /init
// as init process": an upper bound, the same for every boot of a run.
using System.Globalization;
using System.Text.RegularExpressions;

namespace LiveUpdate.VmHarness.Runs;

public static partial class ConsoleLogAnalysis
{
    public const int TailLines = 40;

    /// <summary>Seconds from kernel start to /init, one entry per boot in the order they happened.</summary>
    public static IReadOnlyList<double> BootToInitSeconds(string consoleText) =>
        consoleText.Split('\n')
            .Select(line => RunInit().Match(line))
            .Where(m => m.Success)
            .Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
            .ToArray();

    /// <summary>One boot's initramfs unpack: printk seconds of its start and end, and which line ended it.</summary>
    public sealed record InitramfsUnpack(double StartSeconds, double EndSeconds, string EndLine)
    {
        public double Milliseconds => Math.Round((EndSeconds - StartSeconds) * 1000, 1);
    }

    /// <summary>
    /// Per boot, in the order they happened (a boot starts at "Linux version "; the first one shares its
    /// console line with the firmware's "Booting from ROM..."): its unpack, or null when the log lacks it.
    /// </summary>
    public static IReadOnlyList<InitramfsUnpack?> InitramfsUnpacks(string consoleText)
    {
        var boots = new List<InitramfsUnpack?>();
        double? start = null, end = null;
        string? endLine = null;
        bool inBoot = false;
        void Close()
        {
            if (inBoot) boots.Add(start is { } s && end is { } e ? new InitramfsUnpack(s, e, endLine!) : null);
            (start, end, endLine) = (null, null, null);
        }
        foreach (string raw in consoleText.Split('\n'))
        {
            // lu-guest echoes its report lines, whose kmsg arrays quote kernel lines: not this boot's log.
            if (raw.StartsWith("lu-guest:", StringComparison.Ordinal)) continue;
            var match = Printk().Match(raw);
            if (!match.Success) continue;
            double at = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            string text = match.Groups[2].Value.TrimEnd('\r', '\0');
            if (text.StartsWith("Linux version ", StringComparison.Ordinal))
            {
                Close();
                inBoot = true;
            }
            else if (text.StartsWith("Unpacking initramfs", StringComparison.Ordinal) || text.StartsWith("Trying to unpack rootfs image as initramfs", StringComparison.Ordinal))
            {
                start ??= at;
            }
            else if (start is not null && end is null && text.StartsWith("Freeing initrd memory", StringComparison.Ordinal))
            {
                (end, endLine) = (at, "Freeing initrd memory");
            }
            else if (start is not null && end is null && text.StartsWith("Run /init as init process", StringComparison.Ordinal))
            {
                (end, endLine) = (at, "Run /init as init process");
            }
        }
        Close();
        return boots;
    }

    /// <summary>The last <paramref name="count"/> non-empty console lines.</summary>
    public static IReadOnlyList<string> Tail(string consoleText, int count = TailLines)
    {
        var lines = consoleText.Split('\n').Select(l => l.TrimEnd('\r', '\0')).Where(l => l.Length > 0).ToArray();
        return lines.Skip(Math.Max(0, lines.Length - count)).ToArray();
    }

    public static string ReadFile(string path) => File.Exists(path) ? File.ReadAllText(path) : "";

    /// <summary>Each boot's initramfs unpack in ms (null where the console lacks it) from a run directory's console.log.</summary>
    public static IReadOnlyList<double?> UnpackMsByBoot(string runDirectory) =>
        [.. InitramfsUnpacks(ReadFile(Path.Combine(runDirectory, "console.log"))).Select(u => u?.Milliseconds)];

    [GeneratedRegex(@"^\[\s*(\d+\.\d+)\]\s+Run /init as init process")]
    private static partial Regex RunInit();

    /// <summary>A printk line, wherever it starts on the console line (after firmware output or a half-written guest line).</summary>
    [GeneratedRegex(@"\[\s*(\d+\.\d+)\]\s+(.*)$")]
    private static partial Regex Printk();
}
