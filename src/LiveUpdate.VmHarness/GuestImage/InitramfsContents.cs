// InitramfsContents: everything one run's initramfs is assembled from: the init script, busybox,
// the published guest payload, the kernels of the chain (one /boot/<tag>/ per distinct tag) and
// the scenario's extras (selftests, criu).
using LiveUpdate.VmHarness.Kernels;

namespace LiveUpdate.VmHarness.GuestImage;

public sealed record InitramfsContents(
    string InitScript,
    string Busybox,
    GuestPayload Payload,
    IReadOnlyList<PreparedKernel> Kernels,
    GuestImageExtras Extras)
{
    public const string DefaultBusybox = "/bin/busybox";
}
