// ConsoleProgress: an IProgress<string> that prints each message at once, in order, as
// "[mm:ss] message" on a TextWriter (stderr for the CLI), unlike Progress<T> which posts them.
using System.Diagnostics;

namespace LiveUpdate.VmHarness.Cli;

public sealed class ConsoleProgress : IProgress<string>
{
    private readonly TextWriter writer;
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly Lock gate = new();

    public ConsoleProgress(TextWriter writer)
    {
        this.writer = writer;
    }

    public void Report(string value)
    {
        var elapsed = clock.Elapsed;
        lock (gate)
        {
            writer.WriteLine($"[{(int)elapsed.TotalMinutes:00}:{elapsed.Seconds:00}] {value}");
            writer.Flush();
        }
    }
}
