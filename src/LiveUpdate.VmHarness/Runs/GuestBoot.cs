// GuestBoot: a "boot" result line: hop n came up on kernel release R after U ms of uptime.
namespace LiveUpdate.VmHarness.Runs;

public sealed record GuestBoot(int Hop, string Release, double UptimeMs);
