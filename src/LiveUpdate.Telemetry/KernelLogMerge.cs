// KernelLogMerge: picks the lines that matter for a live update out of a kernel's log and
// adds them to the timeline. Strings as the 7.2/7.3 sources print them:
//   kernel/liveupdate/kexec_handover.c (pr_fmt "KHO: "): "found kexec handover data.",
//                                       "exec from: %s (count %u)"
//   kernel/liveupdate/luo_core.c (pr_fmt "luo: "):      "Retrieved live update data, liveupdate number: %lld"
//   init/main.c:                                         "Run %s as init process"
//   kernel/kexec_core.c (pr_fmt "kexec_core: "):         "Starting new kernel"
//   arch/x86/kernel/tsc.c:  "tsc: Detected %lu.%03lu MHz processor", "tsc: Refined TSC clocksource calibration: %lu.%03lu MHz"
using System.Globalization;
using System.Text.RegularExpressions;
using LiveUpdate.Kernel;

namespace LiveUpdate.Telemetry;

/// <summary>What a kernel's log says about the update. Times are ns since that kernel booted.</summary>
public sealed record KernelLogFacts
{
    public string? Release { get; init; }
    public long? FirstRecordNs { get; init; }
    public long? LastRecordNs { get; init; }
    public long? KhoFoundNs { get; init; }
    public long? LuoRetrievedNs { get; init; }
    public long? LiveUpdateNumber { get; init; }
    public long? KhoExecFromNs { get; init; }
    public string? ExecFromRelease { get; init; }
    public int? KexecCount { get; init; }
    public long? InitNs { get; init; }
    public long? StartingNewKernelNs { get; init; }
    public TscFrequency? TscFrequency { get; init; }
    /// <summary>KHO/LUO warnings and errors ("disabling KHO revival", "failed to retrieve LUO state", ...).</summary>
    public IReadOnlyList<KernelLogLine> Problems { get; init; } = [];
}

public static partial class KernelLogMerge
{
    [GeneratedRegex(@"^Linux version (\S+)")]
    private static partial Regex LinuxVersion();

    [GeneratedRegex(@"^KHO: exec from: (.*) \(count (\d+)\)$")]
    private static partial Regex ExecFrom();

    [GeneratedRegex(@"^luo: Retrieved live update data, liveupdate number: (-?\d+)")]
    private static partial Regex LuoRetrieved();

    [GeneratedRegex(@"^(KHO|luo): .*(fail|Fail|disabl|Disabl|invalid|incompatible|too small|not supported|corrupted|mismatch|No registered handler)")]
    private static partial Regex Problem();

    public static KernelLogFacts Extract(IEnumerable<KernelLogLine> lines)
    {
        var facts = new KernelLogFacts();
        var problems = new List<KernelLogLine>();
        var tsc = new List<string>();
        foreach (var line in lines)
        {
            string m = line.Message;
            facts = facts with { FirstRecordNs = facts.FirstRecordNs ?? line.TimestampNs, LastRecordNs = line.TimestampNs };
            if (facts.Release is null && LinuxVersion().Match(m) is { Success: true } v)
                facts = facts with { Release = v.Groups[1].Value };
            else if (m == "KHO: found kexec handover data.")
                facts = facts with { KhoFoundNs = facts.KhoFoundNs ?? line.TimestampNs };
            else if (ExecFrom().Match(m) is { Success: true } e)
                facts = facts with { KhoExecFromNs = line.TimestampNs, ExecFromRelease = e.Groups[1].Value, KexecCount = int.Parse(e.Groups[2].ValueSpan, CultureInfo.InvariantCulture) };
            else if (LuoRetrieved().Match(m) is { Success: true } r)
                facts = facts with { LuoRetrievedNs = line.TimestampNs, LiveUpdateNumber = long.Parse(r.Groups[1].ValueSpan, CultureInfo.InvariantCulture) };
            else if (m.StartsWith("Run ", StringComparison.Ordinal) && m.EndsWith(" as init process", StringComparison.Ordinal))
                facts = facts with { InitNs = facts.InitNs ?? line.TimestampNs };
            else if (m == "kexec_core: Starting new kernel")
                facts = facts with { StartingNewKernelNs = line.TimestampNs };
            else if (m.StartsWith("tsc: ", StringComparison.Ordinal))
                tsc.Add(m);
            else if (Problem().IsMatch(m))
                problems.Add(line);
        }
        return facts with { TscFrequency = TimestampCounter.FrequencyFromKernelLog(tsc), Problems = problems };
    }

    /// <summary>
    /// Adds the next kernel's boot (time 0), KHO/LUO restore and /init to the timeline, from its /dev/kmsg
    /// (or console) lines; fills the next release, the kexec count and the next kernel's TSC frequency
    /// where the timeline lacks them. Call once, in the next kernel, after luod's first sample.
    /// </summary>
    public static UpdateTimeline WithNextKernelLog(UpdateTimeline timeline, IEnumerable<KernelLogLine> lines)
    {
        var facts = Extract(lines);
        var events = new List<TimelineEvent>();
        void Add(string name, long? ns, string? detail = null)
        {
            if (ns is { } t)
                events.Add(new TimelineEvent(name, TimelineEvents.PhaseOf(name)!.Value, KernelSide.Next, null, null, t, EventSource.KernelLog, detail));
        }
        Add(TimelineEvents.KernelBoot, facts.FirstRecordNs is not null ? 0 : null, facts.Release is { } rel ? $"Linux {rel}" : null);
        Add(TimelineEvents.KhoFound, facts.KhoFoundNs);
        Add(TimelineEvents.LuoRetrieved, facts.LuoRetrievedNs, facts.LiveUpdateNumber is { } n ? $"liveupdate number {n}" : null);
        Add(TimelineEvents.KhoExecFrom, facts.KhoExecFromNs, facts.ExecFromRelease is { } from ? $"from {from} (count {facts.KexecCount})" : null);
        Add(TimelineEvents.KernelInit, facts.InitNs);

        var next = timeline.NextKernel ?? new KernelClockInfo(facts.Release, null, null, TscInvariant: true, null);
        if (next.TscHz is null && facts.TscFrequency is { } f)
            next = next with { TscHz = f.Hz, TscFrequencySource = f.Source };
        return timeline with
        {
            NextRelease = timeline.NextRelease ?? facts.Release,
            PreviousRelease = timeline.PreviousRelease ?? facts.ExecFromRelease,
            KexecCount = timeline.KexecCount != 0 ? timeline.KexecCount : facts.KexecCount ?? 0,
            NextKernel = next with { Release = next.Release ?? facts.Release },
            Events = [.. timeline.Events, .. events],
        };
    }

    /// <summary>The most lines of the previous kernel's shutdown a timeline keeps (the catalog stores the last 10 updates).</summary>
    public const int MaxShutdownLines = 40;

    /// <summary>The longest shutdown line a timeline keeps, in characters; longer ones are cut and end in "…".</summary>
    public const int MaxShutdownLineLength = 200;

    /// <summary>
    /// How far before luod's reboot sample a line may be stamped and still count as the shutdown's: printk stamps
    /// with local_clock (sched_clock), luod samples CLOCK_BOOTTIME, and the two differ by milliseconds ("Starting
    /// new kernel" was stamped 7 ms before the reboot sample it follows in a 7.2 VM run, 2026-12-02).
    /// </summary>
    public const long ShutdownClockSlackNs = 50_000_000;

    /// <summary>
    /// Adds the previous kernel's log as pstore kept it (<see cref="KernelLogParser.ReadPstore"/>): its kmsg dump
    /// only when it was written at or after luod's reboot call (ramoops keeps older boots' dumps too, and a boot
    /// that did not dump leaves the one before it newest), its console record always (ramoops rotates it every boot).
    /// </summary>
    public static UpdateTimeline WithPreviousKernelLog(UpdateTimeline timeline, PstoreLog pstore)
    {
        var reboot = timeline.Events.LastOrDefault(e => e.Name == TimelineEvents.Reboot && e.Sample is not null)?.Sample;
        // One second of slack: the record's time is the dumping kernel's CLOCK_REALTIME, the reboot sample is luod's reading of the same clock.
        bool dumpOfThisUpdate = pstore.DumpedAt is { } at
            && (reboot is not { } r || (at - DateTimeOffset.UnixEpoch).Ticks * 100 >= r.RealtimeNs - 1_000_000_000);
        return WithPreviousKernelLog(timeline, dumpOfThisUpdate ? pstore.Lines : pstore.ConsoleLines);
    }

    /// <summary>
    /// Adds the previous kernel's last moment ("kexec_core: Starting new kernel") and, when luod's reboot call was
    /// sampled, every line the previous kernel logged after it (its shutdown: device shutdown, LUO/KHO serialisation;
    /// the last <see cref="MaxShutdownLines"/>), as <see cref="TimelineEvents.KernelShutdownLine"/> events. Printk
    /// times map through the previous kernel's boottime samples, so "after the reboot call" is as exact as that mapping
    /// (<see cref="ShutdownClockSlackNs"/>).
    /// </summary>
    public static UpdateTimeline WithPreviousKernelLog(UpdateTimeline timeline, IEnumerable<KernelLogLine> lines)
    {
        var all = lines as IReadOnlyList<KernelLogLine> ?? [.. lines];
        var facts = Extract(all);
        var events = new List<TimelineEvent>();
        if (timeline.Events.LastOrDefault(e => e.Name == TimelineEvents.Reboot && e.Sample is not null)?.Sample is { } reboot)
        {
            var shutdownLines = all.Where(l => l.TimestampNs >= reboot.BoottimeNs - ShutdownClockSlackNs && l.Message != "kexec_core: Starting new kernel")
                .OrderBy(l => l.TimestampNs).TakeLast(MaxShutdownLines);
            foreach (var line in shutdownLines)
            {
                string text = line.Message.Length <= MaxShutdownLineLength ? line.Message : line.Message[..(MaxShutdownLineLength - 1)] + "…";
                events.Add(new TimelineEvent(TimelineEvents.KernelShutdownLine, UpdatePhase.Reboot, KernelSide.Previous, null, null, line.TimestampNs, EventSource.Pstore, text));
            }
        }
        if (facts.StartingNewKernelNs is { } shutdown)
            events.Add(new TimelineEvent(TimelineEvents.KernelShutdown, UpdatePhase.Reboot, KernelSide.Previous, null, null, shutdown, EventSource.Pstore, "kexec_core: Starting new kernel"));
        if (events.Count == 0) return timeline;
        var previous = timeline.PreviousKernel;
        if (previous is { TscHz: null } && facts.TscFrequency is { } f)
            previous = previous with { TscHz = f.Hz, TscFrequencySource = f.Source };
        return timeline with
        {
            PreviousKernel = previous,
            Events = [.. timeline.Events, .. events.OrderBy(e => e.KernelLogNs)],
        };
    }
}
