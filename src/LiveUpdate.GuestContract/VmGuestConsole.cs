// VmGuestConsole: reads the serial console of the small VM that luqemu runs (vm/vm-guest-init.sh
// writes it) and judges continuity across the host's live update: the same boot id before and
// after (no reboot of the VM), ticks that go on from where they were (never reset), uptime that
// never goes back, and every check of the seeded region equal to the hash taken at boot.
// Read by lu-guest in the "vm" scenario and by luqemu's host tests.
using System.Globalization;
using System.Text.RegularExpressions;

namespace LiveUpdate.GuestContract;

public sealed record VmGuestTick(string BootId, long Tick, double UptimeSeconds, string? Check);

public sealed partial record VmGuestConsole(IReadOnlyList<VmGuestTick> Ticks, IReadOnlyList<(string BootId, string Sha256)> Seeds)
{
    [GeneratedRegex(@"^vmguest: boot=(?<boot>[0-9a-f-]+) tick=(?<tick>\d+) uptime=(?<up>[0-9.]+)(?: check=(?<check>[0-9a-f]{64}))?\s*$")]
    private static partial Regex TickLine();

    [GeneratedRegex(@"^vmguest: boot=(?<boot>[0-9a-f-]+) seeded=(?<sha>[0-9a-f]{64})\s*$")]
    private static partial Regex SeedLine();

    public static VmGuestConsole Parse(string text)
    {
        var ticks = new List<VmGuestTick>();
        var seeds = new List<(string, string)>();
        foreach (var raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (TickLine().Match(line) is { Success: true } tick)
                ticks.Add(new VmGuestTick(tick.Groups["boot"].Value, long.Parse(tick.Groups["tick"].Value, CultureInfo.InvariantCulture),
                    double.Parse(tick.Groups["up"].Value, CultureInfo.InvariantCulture), tick.Groups["check"].Success ? tick.Groups["check"].Value : null));
            else if (SeedLine().Match(line) is { Success: true } seed)
                seeds.Add((seed.Groups["boot"].Value, seed.Groups["sha"].Value));
        }
        return new VmGuestConsole(ticks, seeds);
    }

    public VmGuestTick? Last => Ticks.Count > 0 ? Ticks[^1] : null;

    /// <summary>
    /// Continuity from <paramref name="before"/> (the console up to the update) to <paramref name="after"/> (the console in the next kernel):
    /// null when the VM went on, else what broke. <paramref name="seeded"/> is the hash the VM printed at its boot.
    /// </summary>
    public static string? ContinuityProblem(VmGuestConsole before, VmGuestConsole after, string seeded, int checksAfter = 1)
    {
        if (before.Last is not { } last) return "no tick of the VM was seen before the update";
        if (after.Ticks.Count == 0) return "no tick of the VM was seen after the update";
        if (after.Seeds.Count > 0) return $"the VM booted again after the update (seeded line of boot {after.Seeds[0].BootId})";
        var first = after.Ticks[0];
        if (after.Ticks.FirstOrDefault(t => t.BootId != last.BootId) is { } other)
            return $"boot id changed from {last.BootId} to {other.BootId}: the VM rebooted";
        if (first.Tick <= last.Tick) return $"the tick counter went back from {last.Tick} to {first.Tick}";
        if (first.UptimeSeconds < last.UptimeSeconds) return $"the VM's uptime went back from {last.UptimeSeconds} s to {first.UptimeSeconds} s";
        for (int i = 1; i < after.Ticks.Count; i++)
            if (after.Ticks[i].Tick != after.Ticks[i - 1].Tick + 1) return $"ticks after the update skip from {after.Ticks[i - 1].Tick} to {after.Ticks[i].Tick}";
        var checks = before.Ticks.Concat(after.Ticks).Where(t => t.Check is not null).ToList();
        if (checks.FirstOrDefault(t => t.Check != seeded) is { } bad) return $"tick {bad.Tick}: the seeded region hashes {bad.Check}, at boot it was {seeded}";
        int checksSeen = after.Ticks.Count(t => t.Check is not null);
        if (checksSeen < checksAfter) return $"only {checksSeen} check(s) of the seeded region after the update (wanted {checksAfter})";
        return null;
    }
}
