// ConsoleLogAnalysis: reads the serial console (console.log) of a run: the boot-to-init time of
// each hop (printk timestamp of "Run /init as init process") and the tail shown on failure.
using System.Globalization;
using System.Text.RegularExpressions;

namespace LiveUpdate.VmHarness;

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

    /// <summary>The last <paramref name="count"/> non-empty console lines.</summary>
    public static IReadOnlyList<string> Tail(string consoleText, int count = TailLines)
    {
        var lines = consoleText.Split('\n').Select(l => l.TrimEnd('\r', '\0')).Where(l => l.Length > 0).ToArray();
        return lines.Skip(Math.Max(0, lines.Length - count)).ToArray();
    }

    public static string ReadFile(string path) => File.Exists(path) ? File.ReadAllText(path) : "";

    [GeneratedRegex(@"^\[\s*(\d+\.\d+)\]\s+Run /init as init process")]
    private static partial Regex RunInit();
}
