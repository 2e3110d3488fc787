// CommandResult: what a finished ExternalCommand returned (exit code and captured output).
namespace LiveUpdate.VmHarness;

public sealed record CommandResult(int ExitCode, string StandardOutput, string StandardError);
