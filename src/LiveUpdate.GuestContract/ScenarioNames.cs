// ScenarioNames: the scenarios lu-guest can run, named by what they do. The host puts one on the
// kernel command line (lu.scenario=, GuestCommandLineKeys.Scenario), `luvm run <name>` takes one,
// and lu-guest dispatches on it. The scenarios were once numbered S1…S13; those numbers are
// accepted as aliases (Resolve) so old notes and muscle memory still work.
namespace LiveUpdate.GuestContract;

public static class ScenarioNames
{
    /// <summary>Memfds of 4 KiB, 64 MiB, 256 MiB in two sessions, preserved, kexec, verified and finished (was S1).</summary>
    public const string MemfdRoundTrip = "memfd-roundtrip";

    /// <summary>Everything /dev/liveupdate must refuse, before and after a kexec, with its typed error (was S2).</summary>
    public const string LuoRefusals = "luo-refusals";

    /// <summary>The memfd round trip across 7.2 → 7.3 → 7.2, re-preserved on the middle hop (was S3).</summary>
    public const string CrossVersionChain = "cross-version-chain";

    /// <summary>The kernel's own LUO selftests across the harness's kexec (was S4).</summary>
    public const string KernelSelftests = "kernel-selftests";

    /// <summary>luod keeps a managed and a delegated client's sessions across a kexec into another kernel (was S5).</summary>
    public const string LuodCustody = "luod-custody";

    /// <summary>An unclaimed session becomes an orphan kept by policy; another uid can neither see nor claim it (was S6 and S7).</summary>
    public const string OrphansAndOwners = "orphans-and-owners";

    /// <summary>luod SIGKILLed while holding a session: the restart reports custody lost, claims fail (was S8).</summary>
    public const string CustodyLost = "custody-lost";

    /// <summary>`luoctl update` with two SDK participants, every phase reported across both kernels (was S9).</summary>
    public const string OrchestratedUpdate = "orchestrated-update";

    /// <summary>A stuck participant cancels the update; a NO-GO kernel pauses nobody (was S10 and S11).</summary>
    public const string CancelAndNoGo = "cancel-and-no-go";

    /// <summary>luod restarted from systemd's fd store keeps every session, then a kexec (was S12).</summary>
    public const string FdStoreRestart = "fd-store-restart";

    /// <summary>The fault matrix's "luod killed (SIGKILL)" cells: during prepare, during freeze, between claim and finish, with and without the fd store (issue 14).</summary>
    public const string FaultLuodKilled = "fault-luod-killed";

    /// <summary>Fault matrix: luod's catalog memfd damaged before a direct kexec; the next luod says so and guesses nothing (7.2 → 7.3).</summary>
    public const string FaultCatalogDamaged = "fault-catalog-damaged";

    /// <summary>Fault matrix: luod SIGKILLed at its test-only holds — after the last freeze ack before the reboot (7.2), and mid-restore after the first retrieved session (7.3), with the fd store.</summary>
    public const string FaultLuodHeld = "fault-luod-held";

    /// <summary>A version-1 luod's handover (the pinned golden catalog and the sessions it names) read by this luod across a kexec.</summary>
    public const string LuodUpgrade = "luod-upgrade";

    /// <summary>A measurement, run by hand: how luod's restore scales with the session count (was S13).</summary>
    public const string LuodRestoreScaling = "luod-restore-scaling";

    /// <summary>The main job: lucache keeps its items through `luoctl update` while a host client reads.</summary>
    public const string CacheDemo = "demo";

    /// <summary>The blackout benchmark's kexec run (BenchPlan.KexecCases).</summary>
    public const string Bench = "bench";

    /// <summary>The blackout benchmark's old way: save to disk, cold reboot, reload (BenchPlan.OldWayCases).</summary>
    public const string BenchOldWay = "bench-oldway";

    /// <summary>
    /// An unmodified memcached (Debian sid's) across the kernel update by criu 4.x in a Debian root:
    /// lu.criu.way=memory (lucriu keeps criu's images in memfds luod preserves, `luoctl update`),
    /// disk (criu's images on a virtio disk, cold reboot) or lucache (the zero-copy arena, for comparison).
    /// </summary>
    public const string CriuMemcached = "criu-memcached";

    /// <summary>The VMM workload: luqemu keeps a QEMU VM (RAM in a preserved memfd) running across `luoctl update`.</summary>
    public const string VmUpdate = "vm-update";

    /// <summary>The old way for VMs: QEMU saves the whole VM (RAM included) to a file on a virtio disk, cold reboot, restore from the file.</summary>
    public const string VmOldWay = "vm-oldway";

    /// <summary>Real systemd 262 (a Debian sid root): luod from the Debian package, `luoctl update` rebooting through `systemctl kexec` so systemd carries luod's fd store.</summary>
    public const string SystemdUpdate = "systemd-update";

    /// <summary>Fault matrix: participants SIGKILLed in prepare and after freeze, and one gone before it claims (7.2 → 7.3).</summary>
    public const string FaultParticipants = "fault-participants";

    /// <summary>Fault matrix: kexec_file_load refused by the kernel (a corrupt image, an initrd no KHO scratch area holds), luod's quota and the kernel's ENOMEM when preserving; then a real update (7.2 → 7.3).</summary>
    public const string FaultKexecAndLimits = "fault-kexec-and-limits";
    /// <summary>The previous kernel's log kept in RAM (pstore/ramoops): `luoctl update` 7.2 → 7.3 with a participant; in 7.3 pstore holds 7.2's shutdown dump and `luoctl report` shows its shutdown lines (run it with a quiet console: luvm run --quiet).</summary>
    public const string PreviousKernelLog = "previous-kernel-log";

    /// <summary>`luoctl kho --json` before and after a kexec through luod: scratch areas, the outgoing and incoming KHO trees, LUO's header, the previous kernel's release and kexec count.</summary>
    public const string KhoInspect = "kho-inspect";
    /// <summary>luod's metrics (MetricsListen) scraped by a real Prometheus on the host through the port forward before and after `luoctl update` (7.2 → 7.3).</summary>
    public const string MetricsPrometheus = "metrics-prometheus";

    /// <summary>A seeded chain of kexecs through luod: sessions created, grown, finished and orphaned at random, every surviving byte checked, luod's RSS and fds per hop.</summary>
    public const string Soak = "soak";

    /// <summary>luoctl's exit-code contract for kured (docs/kured.md): NO-GO, a participant's cancel, luod unreachable and bad usage never reboot; reboot-required writes and clears the sentinel; then a real update (7.2 → 7.3).</summary>
    public const string KuredExitCodes = "kured-exit-codes";
    /// <summary>`luoctl advise --json` against the next kernel of the chain, with luod holding a 4 KiB-page memfd; the JSON is the step's detail.</summary>
    public const string Advise = "advise";

    /// <summary>Boots and reports, nothing else: the harness's own smoke run.</summary>
    public const string Boot = "boot";

    /// <summary>Every scenario lu-guest knows.</summary>
    public static readonly IReadOnlyList<string> All =
    [
        MemfdRoundTrip, LuoRefusals, CrossVersionChain, KernelSelftests, LuodCustody, OrphansAndOwners, CustodyLost,
        OrchestratedUpdate, CancelAndNoGo, FdStoreRestart, LuodUpgrade, LuodRestoreScaling, CacheDemo, Bench, BenchOldWay, CriuMemcached, VmUpdate, VmOldWay, SystemdUpdate, Boot,
        FaultParticipants,
        FaultLuodKilled,
        FaultCatalogDamaged,
        FaultLuodHeld,
        FaultKexecAndLimits,
        Soak,
        PreviousKernelLog,
        KuredExitCodes,
        KhoInspect,
        MetricsPrometheus,
        Advise,
    ];

    /// <summary>The old numbers (s1…s13, case-insensitive) → the scenario they named.</summary>
    public static readonly IReadOnlyDictionary<string, string> NumberAliases = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["s1"] = MemfdRoundTrip, ["s2"] = LuoRefusals, ["s3"] = CrossVersionChain, ["s4"] = KernelSelftests,
        ["s5"] = LuodCustody, ["s6"] = OrphansAndOwners, ["s7"] = OrphansAndOwners, ["s8"] = CustodyLost,
        ["s9"] = OrchestratedUpdate, ["s10"] = CancelAndNoGo, ["s11"] = CancelAndNoGo, ["s12"] = FdStoreRestart,
        ["s13"] = LuodRestoreScaling,
    };

    /// <summary>The scenario <paramref name="nameOrAlias"/> names (an old sN is mapped); any other text is returned as given.</summary>
    public static string Resolve(string nameOrAlias) =>
        NumberAliases.TryGetValue(nameOrAlias, out var name) ? name : nameOrAlias;
}
