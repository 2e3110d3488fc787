// SerialConsoleSetting: a console=ttyS<n>[,<baud><parity><bits>] parameter as the 8250 driver
// reads it (serial8250_console_setup: 9600 baud, 8 bits, no parity when no options are given;
// uart_parse_options for the rest), and the time one character takes on the wire: a start bit,
// the data bits, a parity bit if any and one stop bit.
using System.Globalization;
using LiveUpdate.Kernel;

namespace LiveUpdate.Preflight.Advice;

public sealed record SerialConsoleSetting(string Device, int Baud, int DataBits, bool Parity, bool BaudGiven)
{
    /// <summary>serial8250_console_setup's default when console= names no speed.</summary>
    public const int DefaultBaud = 9600;

    public int BitsPerCharacter => 1 + DataBits + (Parity ? 1 : 0) + 1;

    public double MicrosecondsPerCharacter => BitsPerCharacter * 1_000_000.0 / Baud;

    /// <summary>The serial consoles named by console= words (every one counts: the kernel writes to each).</summary>
    public static IReadOnlyList<SerialConsoleSetting> FromCommandLine(KernelCommandLine commandLine)
    {
        var settings = new List<SerialConsoleSetting>();
        foreach (string word in commandLine.Words)
        {
            if (!word.StartsWith("console=", StringComparison.Ordinal)) continue;
            if (TryParse(word["console=".Length..]) is { } setting) settings.Add(setting);
        }
        return settings;
    }

    /// <summary>"ttyS0,115200n8" → ttyS0 at 115200 baud, 8N1; null for a console that is not a serial port.</summary>
    public static SerialConsoleSetting? TryParse(string value)
    {
        string[] parts = value.Split(',', 2);
        string device = parts[0];
        if (!(device.StartsWith("ttyS", StringComparison.Ordinal) || device.StartsWith("ttyAMA", StringComparison.Ordinal) || device == "uart8250" || device == "uart"))
            return null;
        if (parts.Length == 1 || parts[1].Length == 0) return new SerialConsoleSetting(device, DefaultBaud, 8, false, false);
        string options = parts[1];
        int digits = 0;
        while (digits < options.Length && char.IsAsciiDigit(options[digits])) digits++;
        if (digits == 0 || !int.TryParse(options.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out int baud) || baud <= 0)
            return new SerialConsoleSetting(device, DefaultBaud, 8, false, false);
        bool parity = digits < options.Length && options[digits] is 'o' or 'e';
        int bits = digits + 1 < options.Length && options[digits + 1] is >= '5' and <= '8' ? options[digits + 1] - '0' : 8;
        return new SerialConsoleSetting(device, baud, bits, parity, true);
    }
}
