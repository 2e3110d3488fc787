// ActiveConsoles: /proc/consoles — the consoles the kernel writes its messages to, e.g.
// "ttyS0                -W- (EC  p a)    4:64" (name and index, then R/W/U operations and flags,
// E = enabled). A serial console among them is written at its baud on every boot.
namespace LiveUpdate.Kernel;

public sealed record ActiveConsole(string Name, bool Enabled)
{
    /// <summary>An 8250/16550 serial port (ttyS*), whose writes are paced by its baud rate.</summary>
    public bool IsSerial => Name.StartsWith("ttyS", StringComparison.Ordinal) || Name.StartsWith("ttyAMA", StringComparison.Ordinal);
}

public static class ActiveConsoles
{
    public const string ProcPath = "/proc/consoles";

    /// <summary>The consoles listed in <paramref name="text"/> (/proc/consoles' format).</summary>
    public static IReadOnlyList<ActiveConsole> Parse(string text)
    {
        var consoles = new List<ActiveConsole>();
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string name = line.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries)[0];
            int open = line.IndexOf('('), close = line.IndexOf(')');
            bool enabled = open >= 0 && close > open && line[(open + 1)..close].Contains('E');
            consoles.Add(new ActiveConsole(name, enabled));
        }
        return consoles;
    }

    /// <summary>The running kernel's consoles; null when /proc/consoles cannot be read.</summary>
    public static IReadOnlyList<ActiveConsole>? TryReadRunning(string path = ProcPath)
    {
        try { return File.Exists(path) ? Parse(File.ReadAllText(path)) : null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
