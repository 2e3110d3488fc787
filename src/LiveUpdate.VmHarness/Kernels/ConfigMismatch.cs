// ConfigMismatch: one fragment option the final kernel .config does not carry as asked
// (Wanted/Actual null = "is not set").
namespace LiveUpdate.VmHarness.Kernels;

public sealed record ConfigMismatch(string Name, string? Wanted, string? Actual);
