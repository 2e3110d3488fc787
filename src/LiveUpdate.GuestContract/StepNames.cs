// StepNames: the names of the steps and timing marks lu-guest reports on ttyS1, one class per
// scenario. The guest reports with these, and luvm (benchmark and demo analysis) and the VM tests
// match with these, so a rename cannot leave one side behind. A scenario's steps start with its
// name (ScenarioNames) and a dot; names that carry a value (a token, a session, a count) are methods.
namespace LiveUpdate.GuestContract;

public static class StepNames
{
    /// <summary>Failing step lu-guest reports when a scenario threw.</summary>
    public const string Scenario = "scenario";

    /// <summary>The hop ended and /init reboots cold into the next one (lu.cold=1).</summary>
    public const string ColdReboot = "cold.reboot";

    /// <summary>lu-guest's own kexec into the next kernel: kexec_file_load, then the reboot.</summary>
    public const string KexecLoad = "kexec.load";
    public const string KexecReboot = "kexec.reboot";

    /// <summary>A scenario asked luod to kexec (Varlink), or ran `luoctl update`, into the next kernel.</summary>
    public const string LuodKexecRequest = "luod.kexec.request";
    public const string LuodUpdateRequest = "luod.update.request";

    /// <summary>Timing marks (type "mark"): /init's, and the benchmark's around each blackout.</summary>
    public static class Marks
    {
        /// <summary>/init's first line on every boot (vm/guest-init.sh).</summary>
        public const string Init = "init";
        public const string Guest = "guest";
        public const string Reboot = "reboot";
        public const string Restored = "restored";
        public const string SaveStart = "save-start";
        public const string Saved = "saved";
        public const string Reloaded = "reloaded";
        public const string LuodStart = "luod-start";
        public const string LuodServing = "luod-serving";
        public const string Claimed = "claimed";
        public const string Serving = "serving";
        public const string Resumed = "resumed";
        public const string Paused = "paused";
        public const string Frozen = "frozen";
    }

    /// <summary>memfd-roundtrip and cross-version-chain (MemfdRoundTrip in the guest).</summary>
    public static class MemfdRoundTrip
    {
        public const string Prefix = ScenarioNames.MemfdRoundTrip + ".";
        public const string AlphaSession = "lu-s1-alpha";
        public const string BetaSession = "lu-s1-beta";
        public const string Preserve = Prefix + "preserve";
        public static string Create(ulong token) => $"{Prefix}create.{token}";
        public static string Retrieve(string session) => $"{Prefix}retrieve.{session}";
        public static string Verify(ulong token) => $"{Prefix}verify.{token}";
        public static string Finish(string session) => $"{Prefix}finish.{session}";
        public const string VerifyPrefix = Prefix + "verify.";
    }

    /// <summary>luo-refusals (Refusals in the guest).</summary>
    public static class LuoRefusals
    {
        public const string Prefix = ScenarioNames.LuoRefusals + ".";
        public const string Pipe = Prefix + "pipe";
        public const string Socket = Prefix + "socket";
        public const string RegularFile = Prefix + "regular-file";
        public const string DuplicateSession = Prefix + "duplicate-session";
        public const string Preserve = Prefix + "preserve";
        public const string DuplicateToken = Prefix + "duplicate-token";
        public const string SameFileTwice = Prefix + "same-file-twice";
        public const string SecondOpen = Prefix + "second-open";
        public const string Name64Bytes = Prefix + "name-64-bytes";
        public const string Name63Bytes = Prefix + "name-63-bytes";
        public const string UnknownSession = Prefix + "unknown-session";
        public const string RetrieveTwice = Prefix + "retrieve-twice";
        public const string UnknownToken = Prefix + "unknown-token";
        public const string PreserveIntoIncoming = Prefix + "preserve-into-incoming";
        public const string RetrieveAndFinish = Prefix + "retrieve-and-finish";
    }

    /// <summary>kernel-selftests (KernelSelftests in the guest): one step per test and stage.</summary>
    public static class KernelSelftests
    {
        public const string Prefix = ScenarioNames.KernelSelftests + ".";
        public const string LiveUpdate = Prefix + "liveupdate";

        /// <summary>A selftest's step; <paramref name="stage"/> for the two-stage tests (1 before the kexec, 2 after).</summary>
        public static string Test(string test, string? stage = null) => stage is null ? Prefix + test : $"{Prefix}{test}.stage{stage}";
    }

    /// <summary>luod-custody (LuodCustody in the guest).</summary>
    public static class LuodCustody
    {
        public const string Prefix = ScenarioNames.LuodCustody + ".";
        public const string LuodStart = Prefix + "luod-start";
        public const string ClientAPreserve = Prefix + "client-a.preserve";
        public const string ClientBDelegatedPreserve = Prefix + "client-b.delegated-preserve";
        public const string LuodKexec = Prefix + "luod-kexec";
        public const string ClientARetrieve = Prefix + "client-a.retrieve";
        public const string ClientBClaim = Prefix + "client-b.claim";
        public const string NoOrphans = Prefix + "no-orphans";
    }

    /// <summary>orphans-and-owners (LuodOrphansAndOwners in the guest).</summary>
    public static class OrphansAndOwners
    {
        public const string Prefix = ScenarioNames.OrphansAndOwners + ".";
        public const string LuodStart = Prefix + "luod-start";
        public const string Preserve = Prefix + "preserve";
        public const string Kexec = Prefix + "kexec";
        public const string OtherUidListsNothing = Prefix + "other-uid-lists-nothing";
        public const string OtherUidCannotClaim = Prefix + "other-uid-cannot-claim";
        public const string OtherUidCannotListAll = Prefix + "other-uid-cannot-list-all";
        public const string OrphanReported = Prefix + "orphan-reported";
        public const string PolicyKeepLeftItIntact = Prefix + "policy-keep-left-it-intact";
    }

    /// <summary>custody-lost (LuodCustodyLost in the guest).</summary>
    public static class CustodyLost
    {
        public const string Prefix = ScenarioNames.CustodyLost + ".";
        public const string LuodStart = Prefix + "luod-start";
        public const string PreserveThenSigkill = Prefix + "preserve-then-sigkill";
        public const string RestartDetectsLoss = Prefix + "restart-detects-loss";
        public const string ClaimInSameBoot = Prefix + "claim-in-same-boot";
        public const string Kexec = Prefix + "kexec";
        public const string ClaimAfterKexec = Prefix + "claim-after-kexec";
        public const string ClaimPrefix = Prefix + "claim";
    }

    /// <summary>fault-catalog-damaged (FaultCatalogDamaged in the guest).</summary>
    public static class FaultCatalogDamaged
    {
        public const string Prefix = ScenarioNames.FaultCatalogDamaged + ".";
        public const string LuodStart = Prefix + "luod-start";
        public const string Preserve = Prefix + "preserve";
        public const string Damage = Prefix + "damage";
        public const string ReportedUnreadable = Prefix + "reported-unreadable";
        public const string ClaimRefused = Prefix + "claim-refused";
    }

    /// <summary>kho-inspect (KhoInspect in the guest): the same steps on every hop; Capture's detail is "path=base64 …" of the debugfs blobs.</summary>
    public static class KhoInspect
    {
        public const string Prefix = ScenarioNames.KhoInspect + ".";
        public const string LuodStart = Prefix + "luod-start";
        public const string Preserve = Prefix + "preserve";
        public const string Inspect = Prefix + "inspect";
        public const string Table = Prefix + "table";
        public const string Capture = Prefix + "capture";
        public const string Claim = Prefix + "claim";
        public const string Kexec = Prefix + "kexec";
    }

    /// <summary>fault-kexec-and-limits (FaultKexecAndLimits in the guest).</summary>
    public static class FaultKexecAndLimits
    {
        public const string Prefix = ScenarioNames.FaultKexecAndLimits + ".";
        public const string LuodStart = Prefix + "luod-start";
        public const string Setup = Prefix + "setup";
        public const string CorruptImageRefused = Prefix + "corrupt-image-refused";
        public const string InitrdTooLargeRefused = Prefix + "initrd-too-large-refused";
        public const string PreserveOutOfMemory = Prefix + "preserve-out-of-memory";
        public const string QuotaExceeded = Prefix + "quota-exceeded";
        public const string NothingPausedOrLost = Prefix + "nothing-paused-or-lost";
        public const string EverySessionIntact = Prefix + "every-session-intact";
    }

    /// <summary>orchestrated-update (OrchestratedUpdate in the guest), plus the report steps it shares with the demo.</summary>
    public static class OrchestratedUpdate
    {
        public const string Prefix = ScenarioNames.OrchestratedUpdate + ".";
        public const string LuodStart = Prefix + "luod-start";
        public const string Participants = Prefix + "participants";
        public const string Update = Prefix + "update";
        public const string CacheParticipant = "cache";
        public const string VmmParticipant = "vmm";
        public static string Resume(string participant) => $"{Prefix}{participant}.resume";
        public const string Report = Prefix + UpdateReport.Report;
        public const string ReportTable = Prefix + UpdateReport.Table;
        public const string ReportSvg = Prefix + UpdateReport.Svg;
    }

    /// <summary>metrics-prometheus (MetricsPrometheus in the guest): luod serving OpenMetrics on the guest's address for the host's Prometheus.</summary>
    public static class MetricsPrometheus
    {
        public const string Prefix = ScenarioNames.MetricsPrometheus + ".";
        /// <summary>The guest port luod's metrics listener serves (MetricsListen=0.0.0.0:9464).</summary>
        public const int GuestPort = 9464;
        public const string LuodStart = Prefix + "luod-start";
        public const string Participant = "metrics-participant";
        public const string Participants = Prefix + "participants";
        /// <summary>GET /metrics inside the guest; the detail is the text served.</summary>
        public const string Served = Prefix + "served";
        /// <summary>The guest waits here so the host's Prometheus scrapes this kernel's luod (the detail says how long).</summary>
        public const string ScrapeWindow = Prefix + "scrape-window";
        public const string Update = Prefix + "update";
        public static string Resume(string participant) => $"{Prefix}{participant}.resume";
        public const string Report = Prefix + UpdateReport.Report;
        public const string ReportTable = Prefix + UpdateReport.Table;
        public const string ReportSvg = Prefix + UpdateReport.Svg;
        /// <summary>`luoctl report --openmetrics --output FILE` wrote the same text luod serves on GET /metrics; the detail is that text.</summary>
        public const string OpenMetrics = Prefix + "openmetrics";
        /// <summary>`luoctl report --openmetrics --prometheus-text --output FILE` (node_exporter's textfile collector's format); the detail is the file.</summary>
        public const string PrometheusText = Prefix + "prometheus-text";
    }

    /// <summary>systemd-update (SystemdUpdate in the guest): real systemd 262, luod from the Debian package.</summary>
    public static class SystemdUpdate
    {
        public const string Prefix = ScenarioNames.SystemdUpdate + ".";
        /// <summary>systemd reached a running state; the detail has its version, the boot's KExecsCount and startup time.</summary>
        public const string Boot = Prefix + "boot";
        /// <summary>dpkg -i of the package; luod.socket listening, luod.service enabled and not yet started.</summary>
        public const string Install = Prefix + "install";
        /// <summary>The first connection to luod.socket starts luod.service (socket activation), active only after READY=1 (Type=notify).</summary>
        public const string SocketActivation = Prefix + "socket-activation";
        /// <summary>luod's process under luod.service's sandboxing: no new privileges, a seccomp filter, only CAP_SYS_BOOT.</summary>
        public const string Sandbox = Prefix + "sandbox";
        public const string Participants = Prefix + "participants";
        public const string Update = Prefix + "update";
        /// <summary>After the kexec: what systemd and luod logged about the handover (PID 1's serialization in the previous boot, luod's restore).</summary>
        public const string Handover = Prefix + "handover";
        /// <summary>luod frozen with SIGSTOP past WatchdogSec: systemd aborts and restarts it, the sessions stay.</summary>
        public const string Watchdog = Prefix + "watchdog";
        public const string CacheParticipant = "cache";
        public const string VmmParticipant = "vmm";
        /// <summary>Hop 1 → 2: the operator's own `kexec -s -l` and plain `systemctl kexec`, no luoctl; luod freezes the participants under logind's delay lock.</summary>
        public const string PlainKexec = Prefix + "plain-kexec";
        public const string PlainParticipants = Prefix + "plain-participants";
        public const string PlainCacheParticipant = "cache2";
        public const string PlainVmmParticipant = "vmm2";
        public static string Resume(string participant) => $"{Prefix}{participant}.resume";
        public const string Report = Prefix + UpdateReport.Report;
    }

    /// <summary>The `luoctl report` checks after an orchestrated update (UpdateReportSteps), after the scenario's prefix.</summary>
    public static class UpdateReport
    {
        public const string Report = "report";
        public const string Table = "report.table";
        public const string Svg = "report.svg";
    }

    /// <summary>cancel-and-no-go (UpdateRefusals in the guest).</summary>
    public static class CancelAndNoGo
    {
        public const string Prefix = ScenarioNames.CancelAndNoGo + ".";
        public const string Setup = Prefix + "setup";
        public const string CheckNoGo = Prefix + "check-no-go";
        public const string UpdateRefused = Prefix + "update-refused";
        public const string UpdateCancelled = Prefix + "update-cancelled";
        public const string EveryoneResumed = Prefix + "everyone-resumed";
    }

    /// <summary>fault-participants (FaultParticipants in the guest): the participant rows of the fault matrix.</summary>
    public static class FaultParticipants
    {
        public const string Prefix = ScenarioNames.FaultParticipants + ".";
        public const string LuodStart = Prefix + "luod-start";
        public const string Setup = Prefix + "setup";
        public const string KilledInPrepareCancels = Prefix + "killed-in-prepare-cancels";
        public const string EveryoneResumed = Prefix + "everyone-resumed";
        public const string SecondParticipants = Prefix + "second-participants";
        public const string KilledAfterFreeze = Prefix + "killed-after-freeze";
        public const string Update = Prefix + "update";
        public static string Resume(string participant) => Prefix + participant + ".resume";
        public const string KilledInPrepareKept = Prefix + "killed-in-prepare-kept";
        public const string GoneFinishedByPolicy = Prefix + "gone-finished-by-policy";
    }

    /// <summary>fd-store-restart (LuodFdStoreRestart in the guest).</summary>
    public static class FdStoreRestart
    {
        public const string Prefix = ScenarioNames.FdStoreRestart + ".";
        public const string LuodStartWithFdStore = Prefix + "luod-start-with-fd-store";
        public const string ClientAPreserve = Prefix + "client-a.preserve";
        public const string ClientBDelegatedPreserve = Prefix + "client-b.delegated-preserve";
        public const string FdStoreHoldsSessions = Prefix + "fd-store-holds-sessions";
        public const string SigkillLuod = Prefix + "sigkill-luod";
        public const string RestartFromFdStore = Prefix + "restart-from-fd-store";
        public const string SessionsKept = Prefix + "sessions-kept";
        public const string ClientAPreserveAfterRestart = Prefix + "client-a.preserve-after-restart";
        public const string LuodKexec = Prefix + "luod-kexec";
        public const string LuodStart = Prefix + "luod-start";
        public const string ClientARetrieve = Prefix + "client-a.retrieve";
        public const string ClientBClaim = Prefix + "client-b.claim";
        public const string NothingLost = Prefix + "nothing-lost";
    }

    /// <summary>fault-luod-killed (FaultLuodKilled in the guest).</summary>
    public static class FaultLuodKilled
    {
        public const string Prefix = ScenarioNames.FaultLuodKilled + ".";
        public const string Setup = Prefix + "setup";
        public const string KillDuringPrepare = Prefix + "kill-during-prepare";
        public const string RestartAfterPrepareKill = Prefix + "restart-after-prepare-kill";
        public const string KillDuringFreeze = Prefix + "kill-during-freeze";
        public const string RestartAfterFreezeKill = Prefix + "restart-after-freeze-kill";
        public const string Kexec = Prefix + "kexec";
        public const string RestoreWithFdStore = Prefix + "restore-with-fd-store";
        public const string KillBetweenClaimAndFinish = Prefix + "kill-between-claim-and-finish";
        public const string RestartAfterClaimKill = Prefix + "restart-after-claim-kill";
        public const string EverySessionIntact = Prefix + "every-session-intact";
        public const string NoFdStoreKillDuringPrepare = Prefix + "no-fd-store.kill-during-prepare";
        public const string NoFdStoreCustodyLost = Prefix + "no-fd-store.custody-lost";
        public const string NoFdStoreCarry = Prefix + "no-fd-store.carry";
        public const string NoFdStoreKillMidRestore = Prefix + "no-fd-store.kill-mid-restore";
        public const string NoFdStoreRestartAfterRestoreKill = Prefix + "no-fd-store.restart-after-restore-kill";
    }

    /// <summary>fault-luod-held (FaultLuodHeld in the guest): luod SIGKILLed at its test-only holds (LUOD_TEST_HOLD).</summary>
    public static class FaultLuodHeld
    {
        public const string Prefix = ScenarioNames.FaultLuodHeld + ".";
        public const string Setup = Prefix + "setup";
        public const string KillBeforeReboot = Prefix + "kill-before-reboot";
        public const string RestartAfterRebootKill = Prefix + "restart-after-reboot-kill";
        public const string Participants = Prefix + "participants";
        public const string Update = Prefix + "update";
        public const string KillMidRestore = Prefix + "kill-mid-restore";
        public const string RestartAfterRestoreKill = Prefix + "restart-after-restore-kill";
        public const string EverySessionIntact = Prefix + "every-session-intact";
        public const string NoFdStoreKillBeforeReboot = Prefix + "no-fd-store.kill-before-reboot";
        public const string NoFdStoreCustodyLost = Prefix + "no-fd-store.custody-lost";
        public const string NoFdStoreCarry = Prefix + "no-fd-store.carry";
        public const string NoFdStoreKillMidRestore = Prefix + "no-fd-store.kill-mid-restore";
        public const string NoFdStoreRestartAfterRestoreKill = Prefix + "no-fd-store.restart-after-restore-kill";
    }

    /// <summary>luod-restore-scaling (LuodRestoreScaling in the guest).</summary>
    public static class LuodRestoreScaling
    {
        public const string Prefix = ScenarioNames.LuodRestoreScaling + ".";
        public const string LuodStart = Prefix + "luod-start";
        public const string Kexec = Prefix + "kexec";
        public static string HandedBack(int sessions) => $"{Prefix}handed-back.{sessions}";
        public static string Preserve(int sessions) => $"{Prefix}preserve.{sessions}";
    }

    /// <summary>luod-upgrade (LuodUpgrade in the guest).</summary>
    public static class LuodUpgrade
    {
        public const string Prefix = ScenarioNames.LuodUpgrade + ".";
        public const string V1Handover = Prefix + "v1-handover";
        public const string LuodStart = Prefix + "luod-start";
        public const string SessionsListed = Prefix + "sessions-listed";
        public const string ClaimManaged = Prefix + "claim-managed";
        public const string ClaimDelegated = Prefix + "claim-delegated";
        public const string UpdateLedger = Prefix + "update-ledger";
        public const string NothingLeft = Prefix + "nothing-left";
    }

    /// <summary>demo (CacheDemo in the guest).</summary>
    public static class CacheDemo
    {
        public const string Prefix = ScenarioNames.CacheDemo + ".";
        public const string LuodStart = Prefix + "luod-start";
        public const string CacheStart = Prefix + "cache-start";
        public const string Load = Prefix + "load";
        public const string ClientWatching = Prefix + "client-watching";
        public const string Update = Prefix + "update";
        public const string Verify = Prefix + "verify";
        public const string Report = Prefix + UpdateReport.Report;
        public const string ReportTable = Prefix + UpdateReport.Table;
        public const string ReportSvg = Prefix + UpdateReport.Svg;
    }

    /// <summary>vm-update (VmUpdate in the guest).</summary>
    public static class VmUpdate
    {
        public const string Prefix = ScenarioNames.VmUpdate + ".";
        public const string LuodStart = Prefix + "luod-start";
        /// <summary>luqemu started: the VM booted cold (first kernel) or resumed from luod's session (next kernel).</summary>
        public const string VmStart = Prefix + "vm-start";
        /// <summary>The VM's console shows ticks (before the update).</summary>
        public const string Running = Prefix + "running";
        public const string Update = Prefix + "update";
        /// <summary>After the kexec: same boot id, ticks go on, seeded region intact, RAM SHA-256 unchanged.</summary>
        public const string Continuity = Prefix + "continuity";
        public const string Report = Prefix + UpdateReport.Report;
        public const string ReportTable = Prefix + UpdateReport.Table;
        public const string ReportSvg = Prefix + UpdateReport.Svg;
        /// <summary>A mark per tick of the VM's console, forwarded as it appears (the host stamps the heartbeat).</summary>
        public const string TickMark = "vm.tick";
    }

    /// <summary>vm-oldway (VmOldWay in the guest).</summary>
    public static class VmOldWay
    {
        public const string Prefix = ScenarioNames.VmOldWay + ".";
        public const string VmStart = Prefix + "vm-start";
        public const string Running = Prefix + "running";
        /// <summary>QMP stop, the whole VM migrated into a file on the virtio disk, fsync, QEMU quits.</summary>
        public const string Save = Prefix + "save";
        /// <summary>After the cold reboot: a new QEMU loads the file and the vCPUs run.</summary>
        public const string Restore = Prefix + "restore";
        public const string Continuity = Prefix + "continuity";
        /// <summary>Host-stamped marks: right after the vCPU stop (hop 0) and right after the vCPUs run again (hop 1).</summary>
        public const string StoppedMark = "vm.stopped";
        public const string ResumedMark = "vm.resumed";
    }

    /// <summary>bench and bench-oldway (BlackoutBench, LuodPathBench, OldWayBench in the guest).</summary>
    public static class Bench
    {
        public const string Prefix = ScenarioNames.Bench + ".";
        public const string Plan = Prefix + "plan";
        public const string Arrived = Prefix + "arrived";
        public const string Setup = Prefix + "setup";
        public const string Restore = Prefix + "restore";
        public const string LuodStart = Prefix + "luod-start";
        public const string KexecLoad = Prefix + "kexec-load";
        public const string Reboot = Prefix + "reboot";
        public const string LuodKexec = Prefix + "luod-kexec";
        public const string LuodPathUpdate = Prefix + "luodpath-update";
        public const string Save = Prefix + "save";
        public const string Reload = Prefix + "reload";
    }

    /// <summary>criu-memcached (CriuMemcached in the guest): steps and marks, shared by the three ways.</summary>
    public static class CriuMemcached
    {
        public const string Prefix = ScenarioNames.CriuMemcached + ".";
        /// <summary>The Debian root's criu and memcached versions, and `criu check` (informational).</summary>
        public const string Root = Prefix + "root";
        public const string LuodStart = Prefix + "luod-start";
        /// <summary>The cache serves on 0.0.0.0:11211; the host loads it (memcached) and sets LoadedKey.</summary>
        public const string CacheStart = Prefix + "cache-start";
        public const string Loaded = Prefix + "loaded";
        public const string ParticipantStart = Prefix + "participant-start";
        public const string Update = Prefix + "update";
        /// <summary>disk: criu dump to the virtio disk and sync, then the cold reboot.</summary>
        public const string Dump = Prefix + "dump";
        /// <summary>After the kexec or reboot: the cache serves again (lucriu restore, criu restore, or lucache's claim).</summary>
        public const string Restore = Prefix + "restore";
        /// <summary>The host read every item back and set VerifiedKey; its summary.</summary>
        public const string Verify = Prefix + "verify";
        public const string Report = Prefix + UpdateReport.Report;
        public const string ReportTable = Prefix + UpdateReport.Table;
        public const string ReportSvg = Prefix + UpdateReport.Svg;
        /// <summary>Marks: the cache stops serving (criu starts dumping; lucache pauses writes) and serves again.</summary>
        public const string PausedMark = Prefix + "paused";
        public const string ServingMark = Prefix + "serving";
    }

    /// <summary>soak (Soak in the guest): one set of steps per hop; Resources carries the hop's figures (Keys) for luvm.</summary>
    public static class Soak
    {
        public const string Prefix = ScenarioNames.Soak + ".";
        public const string LuodStart = Prefix + "luod-start";
        public const string Arrived = Prefix + "arrived";
        public const string Verify = Prefix + "verify";
        public const string Create = Prefix + "create";
        public const string Orphans = Prefix + "orphans";
        public const string Resources = Prefix + "resources";
        public const string Kexec = Prefix + "kexec";

        /// <summary>The keys of the Resources step's detail (BenchDetail "key=value …").</summary>
        public static class Keys
        {
            public const string Live = "live";
            public const string Created = "created";
            public const string Finished = "finished";
            public const string Orphaned = "orphaned";
            public const string Carried = "carried";
            public const string Grown = "grown";
            public const string Files = "files";
            public const string BytesChecked = "bytesChecked";
            public const string RssKiB = "rssKiB";
            public const string HwmKiB = "hwmKiB";
            public const string Fds = "fds";
            public const string SessionsHeld = "held";
            public const string FdsBeyondSessions = "fdsBeyondSessions";
            public const string FdsBeyondSessionsAtArrival = "fdsBeyondAtArrival";
            public const string FdsAppeared = "fdsAppeared";
            public const string UptimeMs = "uptimeMs";
        }
    }

    /// <summary>previous-kernel-log (PreviousKernelLog in the guest): pstore/ramoops across a real kexec.</summary>
    public static class PreviousKernelLog
    {
        public const string Prefix = ScenarioNames.PreviousKernelLog + ".";
        /// <summary>ramoops reserved and pstore mounted; the detail has ramoops' parameters and the console log level.</summary>
        public const string Configured = Prefix + "configured";
        public const string LuodStart = Prefix + "luod-start";
        public const string Participant = Prefix + "participant";
        public const string ParticipantName = "db";
        public const string Update = Prefix + "update";
        /// <summary>In the next kernel: /sys/fs/pstore holds the previous kernel's shutdown dump ending in "Starting new kernel".</summary>
        public const string Records = Prefix + "records";
        public const string Resume = Prefix + "resume";
        /// <summary>`luoctl report --json` has the previous kernel's shutdown lines (source pstore) in its handover; the detail is the JSON.</summary>
        public const string ShutdownLines = Prefix + "shutdown-lines";
        /// <summary>`luoctl report`'s table; the detail is the table.</summary>
        public const string Table = Prefix + "table";
    }

    /// <summary>kured-exit-codes (KuredExitCodes in the guest): luoctl's exit codes as kured's --reboot-command, then a real update.</summary>
    public static class KuredExitCodes
    {
        public const string Prefix = ScenarioNames.KuredExitCodes + ".";
        public const string Setup = Prefix + "setup";
        public const string NoGoCommandLine = Prefix + "no-go-cmdline";
        public const string NoGoUnreadableImage = Prefix + "no-go-unreadable-image";
        public const string CancelledByParticipant = Prefix + "cancelled-by-participant";
        public const string LuodUnreachable = Prefix + "luod-unreachable";
        public const string BadUsage = Prefix + "bad-usage";
        public const string SentinelWrittenAndCleared = Prefix + "sentinel-written-and-cleared";
        public const string Update = Prefix + "update";
        public const string Resume = Prefix + "resume";
        public const string SentinelAfterUpdate = Prefix + "sentinel-after-update";
    }

    /// <summary>advise (Advise in the guest): luod holding a session, then `luoctl advise --json` (its JSON is the detail of Json).</summary>
    public static class Advise
    {
        public const string Prefix = ScenarioNames.Advise + ".";
        public const string Setup = Prefix + "setup";
        public const string Json = Prefix + "json";

        /// <summary>The session and the size luod holds while luoctl advises (a memfd of 4 KiB pages: shmem_enabled is never).</summary>
        public const string Session = "advise-4k";
        public const int SessionMiB = 64;
    }
}
