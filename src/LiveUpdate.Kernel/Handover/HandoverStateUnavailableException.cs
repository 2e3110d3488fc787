// HandoverStateUnavailableException: KHO's debugfs view cannot be read in this boot — debugfs
// not mounted, KHO switched off (kho=off, or no kho=on without CONFIG_KEXEC_HANDOVER_ENABLE_DEFAULT),
// a kernel built without CONFIG_KEXEC_HANDOVER_DEBUGFS, or not root. The message names the
// cause and the fix.
namespace LiveUpdate.Kernel.Handover;

public enum HandoverStateUnavailableReason
{
    DebugfsNotMounted,
    KhoDisabled,
    DebugfsInterfaceMissing,
    PermissionDenied,
}

public sealed class HandoverStateUnavailableException(HandoverStateUnavailableReason reason, string message)
    : Exception(message)
{
    public HandoverStateUnavailableReason Reason { get; } = reason;
}
