// CommandResult: what a finished ExternalCommand returned (exit code and captured output).
namespace LiveUpdate.VmHarness.Host;

public sealed record CommandResult(int ExitCode, string StandardOutput, string StandardError);
