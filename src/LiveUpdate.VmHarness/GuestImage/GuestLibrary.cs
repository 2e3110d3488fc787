// GuestLibrary: one host shared library to copy into the initramfs, read through symlinks from
// HostPath and stored as a regular file at GuestPath (the path ldd printed, e.g. /lib/x86_64-linux-gnu/libc.so.6).
namespace LiveUpdate.VmHarness.GuestImage;

public sealed record GuestLibrary(string HostPath, string GuestPath);
