// GuestStep: a "step" result line: one named check of a scenario on one hop, whether it passed,
// how long it took, its detail text and the kernel log lines lu-guest attached.
namespace LiveUpdate.VmHarness.Runs;

public sealed record GuestStep(int Hop, string Release, string Name, bool Ok, double Ms, string Detail, IReadOnlyList<string> Kmsg);
