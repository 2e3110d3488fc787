// ConsoleLogLevel: /proc/sys/kernel/printk — the console log level (messages of a lower level
// number than it reach the consoles) and the three defaults beside it. A blackout lever: every
// line that reaches a serial console during the kexec and the next boot is written at its baud.
using System.Globalization;

namespace LiveUpdate.Kernel;

public sealed record ConsoleLogLevel(int Console, int DefaultMessage, int MinimumConsole, int DefaultConsole)
{
    public const string ProcPath = "/proc/sys/kernel/printk";

    /// <summary>"7\t4\t1\t7" → the four levels; null when the text is not four integers.</summary>
    public static ConsoleLogLevel? TryParse(string text)
    {
        string[] fields = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 4) return null;
        var levels = new int[4];
        for (int i = 0; i < 4; i++)
            if (!int.TryParse(fields[i], NumberStyles.None, CultureInfo.InvariantCulture, out levels[i])) return null;
        return new ConsoleLogLevel(levels[0], levels[1], levels[2], levels[3]);
    }

    /// <summary>The running kernel's levels; null when the file is missing or unreadable.</summary>
    public static ConsoleLogLevel? TryReadRunning(string path = ProcPath)
    {
        try { return File.Exists(path) ? TryParse(File.ReadAllText(path)) : null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
