// GuestPayload: what the guest needs besides the kernel: the published programs (one directory per
// GuestApp under PublishDirectory → /opt/liveupdate/<subdirectory>/, with /opt/liveupdate/<executable>
// symlinks), the host shared libraries they load (→ the same paths in the guest), and host tools
// they run (→ /bin; busybox's applets do not replace them).
namespace LiveUpdate.VmHarness;

public sealed record GuestPayload(string PublishDirectory, IReadOnlyList<GuestApp> Apps, IReadOnlyList<GuestLibrary> Libraries)
{
    public const string GuestDirectory = "/opt/liveupdate";

    /// <summary>
    /// Host programs copied into the guest's /bin when the host has them: luod's preflight check
    /// decompresses the next kernel's xz payload (with the x86 BCJ filter, which busybox's xz applet
    /// cannot undo) with xz(1); the "criu" scenario checkpoints the cache with Debian's criu(8).
    /// </summary>
    public static readonly IReadOnlyList<string> HostTools = ["/usr/bin/xz", "/usr/sbin/criu"];
}
