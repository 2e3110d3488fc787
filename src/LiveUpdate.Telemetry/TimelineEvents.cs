// TimelineEvents: the well-known event names (stable: they are stored in catalogs and sent
// over Varlink) and the phase each belongs to. luod records the daemon ones; the kernel-log
// merge adds the kernel ones.
namespace LiveUpdate.Telemetry;

public static class TimelineEvents
{
    // ---- recorded by luod in the previous kernel ----
    /// <summary>kexec_file_load returned: the next kernel is staged.</summary>
    public const string Staged = "staged";
    /// <summary>luod starts telling clients to prepare.</summary>
    public const string Prepare = "prepare";
    /// <summary>
    /// One client stopped serving (its blackout starts): at its prepare acknowledgement, or at the moment it
    /// reported (pausedAtNs, <see cref="ReportedMoment"/>) — then in <see cref="UpdatePhase.Freeze"/> for a
    /// participant that serves until freeze. Carries the client name.
    /// </summary>
    public const string ClientPaused = "client.paused";
    /// <summary>Every client paused; luod writes its catalog (freeze).</summary>
    public const string Freeze = "freeze";
    /// <summary>luod's catalog is written and the sessions are frozen.</summary>
    public const string CatalogWritten = "catalog.written";
    /// <summary>Immediately before reboot(LINUX_REBOOT_CMD_KEXEC).</summary>
    public const string Reboot = "reboot";

    // ---- from the kernel logs ----
    /// <summary>The previous kernel's "kexec_core: Starting new kernel" (pstore console).</summary>
    public const string KernelShutdown = "kernel.shutdown";
    /// <summary>A line the previous kernel logged after luod's reboot call (its pstore kmsg dump or console). Detail: the line.</summary>
    public const string KernelShutdownLine = "kernel.shutdownLine";
    /// <summary>The next kernel's first record (printk time 0).</summary>
    public const string KernelBoot = "kernel.boot";
    /// <summary>"KHO: found kexec handover data."</summary>
    public const string KhoFound = "kho.found";
    /// <summary>"luo: Retrieved live update data, liveupdate number: N"</summary>
    public const string LuoRetrieved = "luo.retrieved";
    /// <summary>"KHO: exec from: RELEASE (count N)"</summary>
    public const string KhoExecFrom = "kho.execFrom";
    /// <summary>"Run /init as init process"</summary>
    public const string KernelInit = "kernel.init";

    // ---- recorded by luod in the next kernel ----
    /// <summary>luod's first sample in the next kernel.</summary>
    public const string DaemonStart = "luod.start";
    /// <summary>The catalog was read back.</summary>
    public const string CatalogRestored = "catalog.restored";
    /// <summary>Every preserved session was retrieved from /dev/liveupdate.</summary>
    public const string SessionsRestored = "sessions.restored";
    /// <summary>A client claimed its sessions. Carries the client name.</summary>
    public const string ClientClaimed = "client.claimed";
    /// <summary>A client serves again (its blackout ends): its "resumed" call, or the earlier moment it reported (resumedAtNs). Carries the client name.</summary>
    public const string ClientResumed = "client.resumed";
    /// <summary>FINISH done.</summary>
    public const string Finish = "finish";

    /// <summary>
    /// The phase a well-known event belongs to (null for names this library does not know). A reported
    /// moment may belong to a later phase (<see cref="ReportedMoment.Record"/>).
    /// </summary>
    public static UpdatePhase? PhaseOf(string name) => name switch
    {
        Staged => UpdatePhase.Staged,
        Prepare or ClientPaused => UpdatePhase.Prepare,
        Freeze or CatalogWritten => UpdatePhase.Freeze,
        Reboot or KernelShutdown or KernelShutdownLine => UpdatePhase.Reboot,
        KernelBoot or KhoFound or LuoRetrieved or KhoExecFrom => UpdatePhase.KernelBoot,
        KernelInit => UpdatePhase.Startup,
        DaemonStart or CatalogRestored or SessionsRestored => UpdatePhase.Restore,
        ClientClaimed or ClientResumed => UpdatePhase.Resume,
        Finish => UpdatePhase.Finish,
        _ => null,
    };

    /// <summary>The kernel a well-known event happens in.</summary>
    public static KernelSide SideOf(UpdatePhase phase) => phase <= UpdatePhase.Reboot ? KernelSide.Previous : KernelSide.Next;

    /// <summary>A daemon event with its well-known phase and kernel, sampled now unless a sample is given.</summary>
    public static TimelineEvent Daemon(string name, string? client = null, Kernel.ClockSample? sample = null, string? detail = null)
    {
        UpdatePhase phase = PhaseOf(name) ?? throw new ArgumentException($"'{name}' is not a well-known event; use the TimelineEvent constructor and give its phase.", nameof(name));
        return new TimelineEvent(name, phase, SideOf(phase), client, sample ?? Kernel.ClockSample.Capture(), null, EventSource.Daemon, detail);
    }
}
