// UpdateRequest: what `luoctl update` asks luod for — the next kernel, its initrd and
// command line (one KexecRequest, passed as it came to the preflight check and to the
// kexec), and how long participants get to prepare and to freeze.
namespace LiveUpdate.Daemon;

public sealed record UpdateRequest(KexecRequest Kexec, TimeSpan PrepareTimeout)
{
    public static readonly TimeSpan DefaultPrepareTimeout = TimeSpan.FromSeconds(30);
}

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
