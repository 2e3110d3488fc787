// GuestEnd: the "end" result line: the guest's own verdict on the whole run, written on the last hop
// (or by /init when lu-guest fails).
namespace LiveUpdate.VmHarness.Runs;

public sealed record GuestEnd(int Hop, bool Ok, string Detail);
