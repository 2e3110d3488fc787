// GuestPayload: what every guest needs besides the kernel: the published native programs (each
// app's publish directory → /opt/liveupdate/<subdirectory>/, with /opt/liveupdate/<executable>
// symlinks) and the host shared libraries they load (→ the same paths in the guest). What only
// some scenarios need is in GuestImageExtras.
namespace LiveUpdate.VmHarness.GuestImage;

public sealed record GuestPayload(IReadOnlyList<PublishedApp> Apps, IReadOnlyList<GuestLibrary> Libraries)
{
    public const string GuestDirectory = "/opt/liveupdate";
}

/// <summary>One GuestApp as published on the host, in <paramref name="Directory"/> (cache/guest/&lt;subdirectory&gt;-&lt;hash&gt;/).</summary>
public sealed record PublishedApp(GuestApp App, string Directory)
{
    public string ExecutablePath => Path.Combine(Directory, App.Executable);
}
