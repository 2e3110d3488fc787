// GuestReportLine: the wire shape of one JSON line lu-guest writes to ttyS1 (boot, step or end;
// fields a type does not use are absent). Deserialised with GuestReportJsonContext (AOT-safe).
namespace LiveUpdate.VmHarness;

public sealed class GuestReportLine
{
    public string? Type { get; set; }

    public int? Hop { get; set; }

    public string? Release { get; set; }

    public double? UptimeMs { get; set; }

    public string? Name { get; set; }

    public bool? Ok { get; set; }

    public double? Ms { get; set; }

    public string? Detail { get; set; }

    public List<string>? Kmsg { get; set; }
}
