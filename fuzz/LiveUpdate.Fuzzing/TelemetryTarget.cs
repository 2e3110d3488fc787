// TelemetryTarget: the kernel-log parsers of the telemetry. The first byte picks one:
// 0 /dev/kmsg records, one per line (KernelLogParser.TryParseKmsg);
// 1 a console log or pstore console-ramoops file, boots and lines (KernelLogParser.ParseConsole).
// Both answer bad input with false or by skipping the line; no exception is fine.
using System.Text;
using LiveUpdate.Telemetry;

namespace LiveUpdate.Fuzzing;

public static class TelemetryTarget
{
    public static void Run(byte[] input)
    {
        if (input.Length == 0) return;
        string text = Encoding.UTF8.GetString(input, 1, input.Length - 1);
        if (input[0] % 2 == 0)
        {
            foreach (string record in text.Split('\n'))
                KernelLogParser.TryParseKmsg(record, out _);
        }
        else
        {
            KernelLogParser.ParseConsole(text);
        }
    }
}
