// KhoSubtreeDecoder: turns one KHO subtree blob into what it holds, chosen by name and
// content — "LUO" → LuoStateHeader (or a nested FDT, as older LUO ABIs used), "kexec-metadata" →
// KexecChainMetadata, any blob starting with the FDT magic → its tree, anything else → hex.
// A blob that fails to decode is kept as hex with the reason, so an unknown or bumped ABI is
// shown raw rather than ending the report.
namespace LiveUpdate.Kernel.Handover;

public static class KhoSubtreeDecoder
{
    /// <summary>How many leading bytes of an undecoded blob are shown.</summary>
    public const int RawPreviewBytes = 64;

    public static KhoSubtree Decode(string name, ulong? physicalAddress, ulong? size, byte[]? blob,
        IReadOnlyList<FdtProperty> otherProperties, string? missingReason = null)
    {
        if (blob is null)
            return new KhoSubtree(name, physicalAddress, size, null, KhoSubtreeFormat.NotDecoded, null, null, null, null,
                otherProperties, missingReason ?? "debugfs shows no blob for this subtree");
        string? sizeMismatch = size is { } recorded && recorded != (ulong)blob.Length
            ? $"the FDT records blob-size {recorded} but debugfs shows {blob.Length} bytes" : null;
        try
        {
            if (FlattenedDeviceTree.LooksLikeFdt(blob))
            {
                var tree = FlattenedDeviceTree.Parse(blob);
                return new KhoSubtree(name, physicalAddress, size, blob.Length, KhoSubtreeFormat.DeviceTree, null, null, tree.Root,
                    null, otherProperties, sizeMismatch);
            }
            if (name == LuoStateHeader.SubtreeName)
                return new KhoSubtree(name, physicalAddress, size, blob.Length, KhoSubtreeFormat.LuoState, LuoStateHeader.Parse(blob),
                    null, null, null, otherProperties, sizeMismatch);
            if (name == KexecChainMetadata.SubtreeName)
            {
                var metadata = KexecChainMetadata.Parse(blob);
                return new KhoSubtree(name, physicalAddress, size, blob.Length, KhoSubtreeFormat.KexecMetadata, null, metadata, null,
                    metadata.KnownLayout ? null : FdtProperty.HexPreview(blob, RawPreviewBytes), otherProperties,
                    metadata.KnownLayout ? sizeMismatch : $"kexec-metadata version {metadata.Version} is not one this reader knows ({KexecChainMetadata.KnownVersion}); shown raw");
            }
            return new KhoSubtree(name, physicalAddress, size, blob.Length, KhoSubtreeFormat.Raw, null, null, null,
                FdtProperty.HexPreview(blob, RawPreviewBytes), otherProperties, sizeMismatch);
        }
        catch (HandoverFormatException error)
        {
            return new KhoSubtree(name, physicalAddress, size, blob.Length, KhoSubtreeFormat.NotDecoded, null, null, null,
                FdtProperty.HexPreview(blob, RawPreviewBytes), otherProperties, error.Message);
        }
    }
}
