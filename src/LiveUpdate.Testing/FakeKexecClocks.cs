// FakeKexecClocks: the in-process kexec (InProcessLuod.KexecAsync) runs the "next kernel" in
// the same process on the same machine, so its CLOCK_BOOTTIME does not restart at 0 as a real
// kexec's does. Telemetry bridges the kexec by assuming it does (the next kernel's time 0 is
// its boot), so a fake update's report puts the next kernel a whole machine uptime late. This
// gives a timeline the clocks a real kexec would have left: the next kernel's boottime (and
// printk time) restarted at 0 just after the reboot sample (JumpDuration later: a real jump
// takes longer, and the report needs the next kernel's boot after the reboot whatever the
// TSC frequency's rounding), realtime and the TSC untouched. Spans between events do not
// depend on where time 0 lies (both bases bridge the kexec by realtime or TSC differences),
// so a report's cross-kernel spans are then as exact as the clocks.
using LiveUpdate.Telemetry;

namespace LiveUpdate.Testing;

/// <summary>The clocks of a fake kexec made to read like a real one (see the file header).</summary>
public static class FakeKexecClocks
{
    /// <summary>Where the next kernel's time 0 is put after the reboot sample.</summary>
    public static readonly TimeSpan JumpDuration = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// <paramref name="timeline"/> (recorded by an in-process luod across its fake kexec) with the next kernel's
    /// CLOCK_BOOTTIME restarted <see cref="JumpDuration"/> after the previous kernel's last sample, as a real kexec restarts it; unchanged
    /// when either kernel has no sample.
    /// </summary>
    public static UpdateTimeline AsAfterARealKexec(UpdateTimeline timeline)
    {
        var last = timeline.Events.LastOrDefault(e => e.Kernel == KernelSide.Previous && e.Sample is not null)?.Sample;
        if (last is not { } reboot || !timeline.Events.Any(e => e.Kernel == KernelSide.Next && e.Sample is not null)) return timeline;
        long zero = reboot.BoottimeNs + (long)JumpDuration.TotalNanoseconds;
        return timeline with
        {
            Events = [.. timeline.Events.Select(e => e.Kernel != KernelSide.Next ? e : e with
            {
                Sample = e.Sample is { } s ? s with { BoottimeNs = s.BoottimeNs - zero } : null,
                KernelLogNs = e.KernelLogNs - zero,
            })],
        };
    }
}
