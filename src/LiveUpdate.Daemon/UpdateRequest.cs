// UpdateRequest: what `luoctl update` asks luod for — the next kernel, its initrd and
// command line (one KexecRequest, passed as it came to the preflight check and to the
// kexec), and how long participants get to prepare and to freeze.
namespace LiveUpdate.Daemon;

public sealed record UpdateRequest(KexecRequest Kexec, TimeSpan PrepareTimeout)
{
    public static readonly TimeSpan DefaultPrepareTimeout = TimeSpan.FromSeconds(30);
}

/// <summary>
/// A kexec someone else started with `systemctl kexec` (logind told luod through its delay lock):
/// participants prepare and freeze within <paramref name="PrepareTimeout"/> and the catalog is
/// written, but nothing is checked or staged (the caller loaded the kernel: <paramref name="KernelLoaded"/>
/// is /sys/kernel/kexec_loaded) and luod does not reboot (systemd does).
/// </summary>
public sealed record SystemKexecRequest(bool KernelLoaded, TimeSpan PrepareTimeout, string Trigger);

/// <summary>Where the orchestrated update stands.</summary>
public enum UpdateStage
{
    Idle,
    Checking,
    Staging,
    Preparing,
    Freezing,
    Rebooting,
}
