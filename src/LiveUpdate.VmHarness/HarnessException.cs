// HarnessException: a harness failure whose message already names the cause and the fix,
// so the CLI can print it as one line and tests can show it as-is.
namespace LiveUpdate.VmHarness;

public sealed class HarnessException : Exception
{
    public HarnessException(string message)
        : base(message)
    {
    }

    public HarnessException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
