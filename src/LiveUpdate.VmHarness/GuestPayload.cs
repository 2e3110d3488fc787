// GuestPayload: what the guest needs besides the kernel: the published programs (one directory per
// GuestApp under PublishDirectory → /opt/liveupdate/<subdirectory>/, with /opt/liveupdate/<executable>
// symlinks) and the host shared libraries they load (→ the same paths in the guest).
namespace LiveUpdate.VmHarness;

public sealed record GuestPayload(string PublishDirectory, IReadOnlyList<GuestApp> Apps, IReadOnlyList<GuestLibrary> Libraries)
{
    public const string GuestDirectory = "/opt/liveupdate";
}
