// QemuOutcome: how the QEMU process ended (exit code, or killed on timeout) and how long it ran.
namespace LiveUpdate.VmHarness.Qemu;

public sealed record QemuOutcome(int? ExitCode, bool TimedOut, TimeSpan WallTime, string QemuLog);
