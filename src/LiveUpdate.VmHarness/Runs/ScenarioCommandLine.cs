// ScenarioCommandLine: composes the kernel command line a scenario run boots with (docs/vm-harness.md,
// "Guest contract"): fixed KHO/LUO/console options plus lu.scenario, lu.chain and lu.hop (keys from
// GuestCommandLineKeys, which lu-guest parses with) and the run's scenario parameters. Host side only;
// LiveUpdate.Kernel.KernelCommandLine is the parser of /proc/cmdline the guest reads it back with.
using LiveUpdate.GuestContract;

namespace LiveUpdate.VmHarness.Runs;

public static class ScenarioCommandLine
{
    /// <summary>KHO scratch sizes are fixed: the default (200 % of boot-time reservations) outgrew a 3 GiB guest (docs/vm-harness.md).</summary>
    public const string FixedOptions = "console=ttyS0 kho=on kho_scratch=128M,512M,256M liveupdate=on retain_initrd panic=-1 printk.time=1 no_timer_check "
        + KernelLogInRamOptions;

    /// <summary>
    /// pstore/ramoops in 1 MiB of RAM at 96 MiB that memmap= takes out of System RAM (so neither kexec_file_load's
    /// segments, KHO's scratch areas nor the next kernel's allocations land in it, and every kernel of a chain
    /// finds it where the previous one wrote): 256 KiB for the console record (console-ramoops-0: the previous
    /// boot's console), 128 KiB records for kmsg dumps, and max_reason=4 (KMSG_DUMP_SHUTDOWN), which makes
    /// kernel_kexec() dump the last pstore.kmsg_bytes (10 KiB) of the log right before machine_kexec
    /// (dmesg-ramoops-N) whatever the console's log level. 96 MiB lies above the kernel's 16 MiB load address
    /// and its image, below the 128 MiB lowmem scratch area's usual place at the top, inside the smallest guest
    /// (256 MiB). guest-init.sh mounts pstore; luod merges what it finds (docs/telemetry.md).
    /// </summary>
    public const string KernelLogInRamOptions = "memmap=1M$0x6000000 ramoops.mem_address=0x6000000 ramoops.mem_size=0x100000 "
        + "ramoops.console_size=0x40000 ramoops.record_size=0x20000 ramoops.max_reason=4";

    /// <summary>
    /// The kernel's `quiet` (console log level 4): a blackout lever measured by the benchmark. The
    /// boot messages still reach the kernel log, but not the console the harness reads its
    /// boot-phase timings from, so runs that need those leave it off.
    /// </summary>
    public const string QuietOption = "quiet";

    /// <summary>
    /// The command line of <paramref name="scenario"/>'s hop <paramref name="hop"/>: <paramref name="fixedOptions"/>
    /// (default <see cref="FixedOptions"/>; the blackout levers boot with some of them changed), `quiet`, the plan's keys and the parameters.
    /// </summary>
    public static string Compose(string scenario, IReadOnlyList<string> chain, int hop = 0, IReadOnlyList<string>? parameters = null, bool quiet = false,
        string? fixedOptions = null)
    {
        foreach (var parameter in parameters ?? [])
        {
            ValidateWord(parameter, "scenario parameter");
            if (!parameter.StartsWith(GuestCommandLineKeys.Prefix, StringComparison.Ordinal) || !parameter.Contains('='))
            {
                throw new HarnessException($"The scenario parameter \"{parameter}\" must look like lu.NAME=VALUE.");
            }
        }
        ValidateWord(scenario, "scenario");
        if (chain.Count == 0)
        {
            throw new HarnessException("The kernel chain is empty; give at least one kernel tag, e.g. 7.2.");
        }
        foreach (var tag in chain)
        {
            ValidateWord(tag, "kernel tag");
            if (tag.Contains(','))
            {
                throw new HarnessException($"Kernel tag \"{tag}\" contains a comma; tags are series like 7.2 or 7.3.");
            }
        }
        if (hop < 0 || hop >= chain.Count)
        {
            throw new HarnessException($"Hop {hop} is outside the chain of {chain.Count} kernel(s).");
        }
        var extra = parameters is { Count: > 0 } ? " " + string.Join(' ', parameters) : "";
        return $"{fixedOptions ?? FixedOptions}{(quiet ? " " + QuietOption : "")} {GuestCommandLineKeys.Word(GuestCommandLineKeys.Scenario, scenario)} "
            + $"{GuestCommandLineKeys.Word(GuestCommandLineKeys.Chain, string.Join(',', chain))} {GuestCommandLineKeys.Word(GuestCommandLineKeys.Hop, hop)}{extra}";
    }

    private static void ValidateWord(string value, string what)
    {
        if (string.IsNullOrEmpty(value) || value.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' || char.IsControl(c)))
        {
            throw new HarnessException($"The {what} \"{value}\" cannot go on the kernel command line; use letters, digits, '.', '-' or '_'.");
        }
    }
}
