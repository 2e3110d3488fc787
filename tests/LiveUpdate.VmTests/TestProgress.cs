// TestProgress: harness progress for VM tests: every line goes to stderr (visible in a console
// run) and to the output of the test currently attached (visible in its xunit result).
using LiveUpdate.VmHarness;
using LiveUpdate.VmHarness.Cli;
using Xunit.Abstractions;

namespace LiveUpdate.VmTests;

public sealed class TestProgress : IProgress<string>
{
    private readonly ConsoleProgress console = new(Console.Error);
    private readonly Lock gate = new();
    private ITestOutputHelper? output;

    public void Report(string value)
    {
        console.Report(value);
        lock (gate)
        {
            try
            {
                output?.WriteLine(value);
            }
            catch (InvalidOperationException)
            {
                // The test that owned this output has already finished.
            }
        }
    }

    /// <summary>Sends progress to <paramref name="testOutput"/> until the returned handle is disposed.</summary>
    public IDisposable Attach(ITestOutputHelper testOutput)
    {
        lock (gate)
        {
            output = testOutput;
        }
        return new Detach(this, testOutput);
    }

    private sealed class Detach(TestProgress owner, ITestOutputHelper attached) : IDisposable
    {
        public void Dispose()
        {
            lock (owner.gate)
            {
                if (ReferenceEquals(owner.output, attached))
                {
                    owner.output = null;
                }
            }
        }
    }
}
