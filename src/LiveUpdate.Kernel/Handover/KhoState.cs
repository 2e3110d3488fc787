// KhoState: the KHO/LUO state of this boot, read from debugfs (kho/out and kho/in): what this
// kernel will hand over, what it received (null after a cold boot), and from the incoming
// kexec-metadata the previous kernel's release and the kexec count since the last cold boot.
// What lives only in preserved physical memory (LUO's sessions, files, memfd folios, KHO's
// preserved-memory radix tree) is shown by address: userspace cannot read it.
namespace LiveUpdate.Kernel.Handover;

public sealed record KhoState(
    string DebugfsDirectory,
    string Release,
    bool BootedByHandover,
    KhoDirectionState Outgoing,
    KhoDirectionState? Incoming,
    KexecChainMetadata? PreviousKernel,
    IReadOnlyList<string> Notes);
