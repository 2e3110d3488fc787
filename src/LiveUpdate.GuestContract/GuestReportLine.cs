// GuestReportLine: one JSON line of lu-guest's report to the host on ttyS1 (docs/vm-harness.md):
// a boot, a step, a timing mark or the end verdict. lu-guest writes it, /init writes two kinds by
// hand (vm/guest-init.sh: the "init" mark and a failing end), luvm reads it back
// (GuestReport, GuestLineWatcher). Fields a type does not use are absent, so a reader gets null.
namespace LiveUpdate.GuestContract;

public sealed record GuestReportLine
{
    /// <summary>One of <see cref="GuestReportLineTypes"/>.</summary>
    public string? Type { get; init; }

    public int? Hop { get; init; }

    public string? Release { get; init; }

    /// <summary>The step's or mark's name (<see cref="StepNames"/>).</summary>
    public string? Name { get; init; }

    public bool? Ok { get; init; }

    public double? Ms { get; init; }

    public string? Detail { get; init; }

    /// <summary>Kernel log lines about KHO/LUO/kexec since the previous step.</summary>
    public IReadOnlyList<string>? Kmsg { get; init; }

    public double? UptimeMs { get; init; }
}

/// <summary>The values of <see cref="GuestReportLine.Type"/>.</summary>
public static class GuestReportLineTypes
{
    /// <summary>Hop n came up on kernel release R after U ms of uptime.</summary>
    public const string Boot = "boot";

    /// <summary>One named check of a scenario on one hop: ok, how long, detail, kernel log lines.</summary>
    public const string Step = "step";

    /// <summary>A timing mark the host stamps with its own clock as it arrives.</summary>
    public const string Mark = "mark";

    /// <summary>The guest's own verdict on the whole run (or /init's when lu-guest failed).</summary>
    public const string End = "end";
}
