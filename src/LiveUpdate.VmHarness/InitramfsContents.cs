// InitramfsContents: everything one run's initramfs is assembled from: the init script, busybox,
// the published guest payload and the kernels of the chain (one /boot/<tag>/ per distinct tag).
namespace LiveUpdate.VmHarness;

public sealed record InitramfsContents(
    string InitScript,
    string Busybox,
    GuestPayload Payload,
    IReadOnlyList<PreparedKernel> Kernels)
{
    public const string DefaultBusybox = "/bin/busybox";
}
