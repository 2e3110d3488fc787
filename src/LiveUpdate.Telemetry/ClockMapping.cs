// ClockMapping: places every event of a timeline on one axis — ns since the first sample of
// the previous kernel. Within one kernel CLOCK_BOOTTIME (and printk time) is exact. Across
// the kexec the gap is bridged by the TSC, which kexec does not reset: elapsed = Δtsc / f.
// Where that is impossible (no TSC samples, unknown frequency, TSC not invariant, or it was
// evidently reset), the CLOCK_REALTIME difference is used and the next kernel's times are
// marked approximate: its realtime came from the RTC's whole seconds (±1 s).
using System.Globalization;
using LiveUpdate.Kernel;

namespace LiveUpdate.Telemetry;

public sealed record ClockMapping
{
    /// <summary>The error bound of a cross-kernel CLOCK_REALTIME difference (the RTC has whole seconds).</summary>
    public const long RealtimeUncertaintyNs = 1_000_000_000;

    /// <summary>How far the TSC and realtime may disagree across the kexec before it is reported.</summary>
    public const long RealtimeDisagreementToleranceNs = 2_500_000_000;

    public ClockBasis Basis { get; init; }

    /// <summary>CLOCK_BOOTTIME of the origin sample (the first sample of the previous kernel).</summary>
    public long? OriginBoottimeNs { get; init; }

    /// <summary>CLOCK_REALTIME of the origin sample: the wall-clock time of offset 0.</summary>
    public long? OriginRealtimeNs { get; init; }

    /// <summary>Where the next kernel's time 0 (its CLOCK_BOOTTIME and printk zero) lies on the axis; null when unknown.</summary>
    public long? NextBootOffsetNs { get; init; }

    /// <summary>The TSC frequency used for the cross-kernel span (null on the realtime basis).</summary>
    public TscFrequency? TscFrequency { get; init; }

    /// <summary>The cross-kernel span TSC and realtime measured, when both could be (for the record).</summary>
    public long? TscSpanNs { get; init; }
    public long? RealtimeSpanNs { get; init; }

    /// <summary>Why the basis is what it is, and anything suspicious about the clocks.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>True when times of <paramref name="side"/> carry the ±1 s uncertainty of the realtime basis.</summary>
    public bool IsApproximate(KernelSide side) => side == KernelSide.Next && Basis == ClockBasis.RealtimeApproximate;

    /// <summary>The event's time on the axis (ns since the origin), or null when it cannot be placed.</summary>
    public long? OffsetOf(TimelineEvent e)
    {
        long? kernelTime = e.Sample is { } s ? s.BoottimeNs : e.KernelLogNs;
        if (kernelTime is not { } t) return null;
        return e.Kernel switch
        {
            KernelSide.Previous => OriginBoottimeNs is { } origin ? t - origin : null,
            _ => NextBootOffsetNs is { } boot ? boot + t : null,
        };
    }

    /// <summary>Resolves the mapping of a timeline.</summary>
    public static ClockMapping Resolve(UpdateTimeline timeline)
    {
        var notes = new List<string>();
        TimelineEvent? origin = timeline.Events.FirstOrDefault(e => e.Kernel == KernelSide.Previous && e.Sample is not null);
        TimelineEvent? previousLast = timeline.Events.LastOrDefault(e => e.Kernel == KernelSide.Previous && e.Sample is not null);
        TimelineEvent? nextFirst = timeline.Events.FirstOrDefault(e => e.Kernel == KernelSide.Next && e.Sample is not null);

        if (origin is null)
        {
            if (nextFirst is null)
                return new ClockMapping { Basis = ClockBasis.RealtimeApproximate, Notes = ["No clock samples were recorded."] };
            // Only the next kernel was sampled: its own boot is the origin; the previous kernel cannot be placed.
            notes.Add("No sample from the previous kernel: times are relative to the next kernel's boot.");
            return new ClockMapping
            {
                Basis = ClockBasis.RealtimeApproximate,
                NextBootOffsetNs = 0,
                OriginRealtimeNs = nextFirst.Sample!.Value.RealtimeNs - nextFirst.Sample.Value.BoottimeNs,
                Notes = notes,
            };
        }

        ClockSample o = origin.Sample!.Value;
        var mapping = new ClockMapping { Basis = ClockBasis.RealtimeApproximate, OriginBoottimeNs = o.BoottimeNs, OriginRealtimeNs = o.RealtimeNs };
        if (nextFirst is null)
        {
            // Still in the previous kernel (or the next one has not sampled yet): nothing crosses the kexec.
            bool tscReady = previousLast!.Sample!.Value.Tsc is not null && ChooseFrequency(timeline.PreviousKernel, timeline.NextKernel) is not null;
            return mapping with
            {
                Basis = tscReady ? ClockBasis.Tsc : ClockBasis.RealtimeApproximate,
                Notes = ["No sample from the next kernel yet; only the previous kernel is placed."],
            };
        }

        ClockSample p = previousLast!.Sample!.Value, n = nextFirst.Sample!.Value;
        long previousOffset = p.BoottimeNs - o.BoottimeNs;
        long realtimeSpan = n.RealtimeNs - p.RealtimeNs;

        long? tscSpan = TryTscSpan(timeline, p, n, notes, out TscFrequency? frequency);
        ClockBasis basis;
        long span;
        if (tscSpan is { } exact)
        {
            basis = ClockBasis.Tsc;
            span = exact;
            if (Math.Abs(exact - realtimeSpan) > RealtimeDisagreementToleranceNs)
                notes.Add($"CLOCK_REALTIME disagrees with the TSC across the kexec by {Format(realtimeSpan - exact)} (the next kernel's RTC or NTP state is off); the TSC is kept.");
        }
        else
        {
            basis = ClockBasis.RealtimeApproximate;
            span = realtimeSpan;
            notes.Add("The cross-kernel span uses CLOCK_REALTIME, which the next kernel took from the RTC: times in the next kernel are good to ±1 s.");
        }

        long nextBoot = previousOffset + span - n.BoottimeNs;

        // The next kernel cannot have started before the previous kernel's last known moment (its last
        // sample, or the "Starting new kernel" line of its pstore console).
        var (latestName, latest) = timeline.Events
            .Where(e => e.Kernel == KernelSide.Previous && (e.Sample is not null || e.KernelLogNs is not null))
            .Select(e => (e.Name, Offset: (e.Sample?.BoottimeNs ?? e.KernelLogNs!.Value) - o.BoottimeNs))
            .MaxBy(x => x.Offset);
        if (nextBoot < latest)
        {
            if (basis == ClockBasis.RealtimeApproximate)
            {
                // The RTC has whole seconds, so the next kernel's realtime runs up to 1 s behind: the realtime
                // estimate is a lower bound that may fall before the kexec. Causality is the better bound.
                notes.Add($"The realtime estimate put the next kernel's boot {Format(latest - nextBoot)} before '{latestName}' (the RTC's truncated second); it is placed at '{latestName}' instead, the earliest it can have been.");
                nextBoot = latest;
            }
            else
                notes.Add($"The TSC places the next kernel's boot {Format(latest - nextBoot)} before '{latestName}' of the previous kernel; check the TSC frequency.");
        }

        return mapping with
        {
            Basis = basis,
            NextBootOffsetNs = nextBoot,
            TscFrequency = basis == ClockBasis.Tsc ? frequency : null,
            TscSpanNs = tscSpan,
            RealtimeSpanNs = realtimeSpan,
            Notes = notes,
        };
    }

    private static long? TryTscSpan(UpdateTimeline timeline, ClockSample previous, ClockSample next, List<string> notes, out TscFrequency? frequency)
    {
        frequency = ChooseFrequency(timeline.PreviousKernel, timeline.NextKernel);
        if (previous.Tsc is not { } before || next.Tsc is not { } after)
        {
            notes.Add("A sample on one side of the kexec has no TSC reading.");
            return null;
        }
        if (frequency is null)
        {
            notes.Add("The TSC frequency is unknown (neither kernel's log nor luod reported it).");
            return null;
        }
        foreach (var (side, info) in new[] { ("previous", timeline.PreviousKernel), ("next", timeline.NextKernel) })
        {
            if (info is { TscInvariant: false })
            {
                notes.Add($"The {side} kernel's TSC is not invariant (constant_tsc/nonstop_tsc missing): its ticks are not time.");
                return null;
            }
        }
        if (after < before)
        {
            notes.Add($"The TSC went backwards across the kexec ({before} → {after}): it was reset (a cold reset, or firmware/TSC_ADJUST rewrote it).");
            return null;
        }
        // The next kernel's TSC at its own time 0 must come after the previous kernel's last sample.
        double nextBootTsc = after - next.BoottimeNs * frequency.Hz / 1e9;
        if (nextBootTsc < before - frequency.Hz / 1000)
        {
            notes.Add($"The TSC places the next kernel's boot {Format((long)frequency.ToNanoseconds(before - nextBootTsc))} before the previous kernel's last sample: it was reset or rewritten during the kexec.");
            return null;
        }
        return (long)Math.Round(frequency.ToNanoseconds(after - before));
    }

    /// <summary>The most trustworthy of the two kernels' TSC frequencies (the previous kernel's on a tie).</summary>
    public static TscFrequency? ChooseFrequency(KernelClockInfo? previous, KernelClockInfo? next)
    {
        TscFrequency? Of(KernelClockInfo? info) =>
            info is { TscHz: { } hz } && hz > 0 ? new TscFrequency(hz, info.TscFrequencySource ?? TscFrequencySource.CpuInfo) : null;
        TscFrequency? a = Of(previous), b = Of(next);
        if (a is null) return b;
        if (b is null) return a;
        return b.Source < a.Source ? b : a;
    }

    internal static string Format(long ns) => Durations.Format(ns);
}

/// <summary>Human formatting of ns durations and offsets.</summary>
public static class Durations
{
    /// <summary>"1.234 s", "12.35 ms", "456 µs", "789 ns" (negative values keep their sign).</summary>
    public static string Format(long ns)
    {
        string sign = ns < 0 ? "−" : "";
        double a = Math.Abs((double)ns);
        string body = a switch
        {
            >= 1e9 => (a / 1e9).ToString("0.000", CultureInfo.InvariantCulture) + " s",
            >= 1e6 => (a / 1e6).ToString(a >= 1e8 ? "0" : a >= 1e7 ? "0.0" : "0.00", CultureInfo.InvariantCulture) + " ms",
            >= 1e3 => (a / 1e3).ToString("0", CultureInfo.InvariantCulture) + " µs",
            _ => a.ToString("0", CultureInfo.InvariantCulture) + " ns",
        };
        return sign + body;
    }

    /// <summary><see cref="Format"/>, prefixed "≈" and suffixed "±1 s" when approximate.</summary>
    public static string Format(long ns, bool approximate) => approximate ? $"≈{Format(ns)} ±1 s" : Format(ns);
}
