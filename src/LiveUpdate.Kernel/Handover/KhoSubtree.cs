// KhoSubtree: one child of KHO's root FDT — a blob a subsystem registered with
// kho_add_subtree(): its name, the physical address and size the FDT records
// ("preserved-data", "blob-size"), and, when debugfs shows the blob (kho/{in,out}/sub_fdts/NAME),
// what it decodes to: LUO's header, the kexec metadata, a nested FDT, or raw bytes for a
// format this reader does not know. Problem says why a blob could not be decoded.
namespace LiveUpdate.Kernel.Handover;

public enum KhoSubtreeFormat
{
    /// <summary>The "LUO" struct luo_ser (LuoStateHeader).</summary>
    LuoState,
    /// <summary>The "kexec-metadata" struct (KexecChainMetadata).</summary>
    KexecMetadata,
    /// <summary>A nested flattened device tree, shown node by node.</summary>
    DeviceTree,
    /// <summary>Bytes in a format this reader does not know: shown as hex.</summary>
    Raw,
    /// <summary>Listed in the FDT but debugfs shows no blob, or the blob did not decode (see Problem).</summary>
    NotDecoded,
}

public sealed record KhoSubtree(
    string Name,
    ulong? PhysicalAddress,
    ulong? Size,
    int? BlobLength,
    KhoSubtreeFormat Format,
    LuoStateHeader? Luo,
    KexecChainMetadata? KexecMetadata,
    FdtNode? Tree,
    string? RawPreview,
    IReadOnlyList<FdtProperty> OtherProperties,
    string? Problem);
