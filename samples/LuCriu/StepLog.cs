// StepLog: lucriu's one line per timed step, `lucriu: <step>: <ms> ms[, <details>]`, the
// format the blackout benchmark parses (samples/LuCriu/README.md). Milliseconds with one
// decimal, invariant culture; sizes in MiB with one decimal.
using System.Globalization;

namespace LuCriu;

internal sealed class StepLog(TextWriter output)
{
    public TextWriter Output { get; } = output;

    public void Step(string step, TimeSpan elapsed, string? details = null) =>
        Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"lucriu: {step}: {elapsed.TotalMilliseconds:0.0} ms{(details is null ? "" : ", " + details)}"));

    public void Note(string message) => Output.WriteLine($"lucriu: {message}");

    public static string Mib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.0} MiB");

    public static string Rate(long bytes, TimeSpan elapsed) => elapsed.TotalSeconds <= 0
        ? "- MiB/s"
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0 / elapsed.TotalSeconds:0} MiB/s");
}
