// KexecMetadata: the kernel's KHO "kexec-metadata" sub-tree of this boot — which kernel kexec'd
// into this one and how many kexecs have happened since the cold boot. The previous kernel writes
// it (kernel/liveupdate/kexec_handover.c, kho_out_kexec_metadata) as a packed C struct, not an FDT
// (include/linux/kho/abi/kexec_metadata.h, 7.2+): {u32 version = 1; char previous_release[65];
// u32 kexec_count}, little-endian on x86. With CONFIG_KEXEC_HANDOVER_DEBUGFS this kernel shows it
// at /sys/kernel/debug/kho/in/sub_fdts/kexec-metadata (root only). This boot's reading of it for
// luod's metrics (found, cold boot, or why not); the struct itself is decoded once, by
// Handover/KexecChainMetadata, which `luoctl kho` uses for both directions.

namespace LiveUpdate.Kernel;

/// <summary>What this boot's kexec-metadata says.</summary>
/// <param name="PreviousRelease">The release of the kernel that kexec'd into this one.</param>
/// <param name="KexecCount">kexecs since the cold boot, this one included.</param>
public sealed record KexecMetadata(uint Version, string PreviousRelease, uint KexecCount)
{
    /// <summary>KHO_KEXEC_METADATA_VERSION, the only layout this reader knows.</summary>
    public const uint SupportedVersion = Handover.KexecChainMetadata.KnownVersion;

    /// <summary>sizeof(struct kho_kexec_metadata): 4 + (__NEW_UTS_LEN + 1 = 65) + 4, packed.</summary>
    public const int Size = Handover.KexecChainMetadata.Version1Size;

    /// <summary>The KHO directory in debugfs (kernel/liveupdate/kexec_handover_debugfs.c).</summary>
    public const string DefaultKhoDebugfsPath = "/sys/kernel/debug/kho";

    /// <summary>Where the blob sits below the KHO debugfs directory.</summary>
    public const string RelativePath = "in/sub_fdts/kexec-metadata";

    /// <summary>Decodes the blob (the struct's one decoder is Handover.KexecChainMetadata); <see cref="InvalidDataException"/> when it is too short or of another version.</summary>
    public static KexecMetadata Parse(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < 4)
            throw new InvalidDataException($"kexec-metadata is {blob.Length} bytes, too short for its version field; the previous kernel wrote something this reader does not know");
        Handover.KexecChainMetadata decoded;
        try { decoded = Handover.KexecChainMetadata.Parse(blob); }
        catch (Handover.HandoverFormatException error) { throw new InvalidDataException(error.Message, error); }
        if (!decoded.KnownLayout)
            throw new InvalidDataException($"kexec-metadata version {decoded.Version}, this reader knows version {SupportedVersion} (include/linux/kho/abi/kexec_metadata.h); update LiveUpdate.Kernel's Handover/KexecChainMetadata for the newer layout");
        return new KexecMetadata(decoded.Version, decoded.PreviousRelease!, decoded.KexecCount!.Value);
    }

    /// <summary>
    /// Reads this boot's kexec-metadata from debugfs: <see cref="KexecMetadataReading.Found"/>, a cold boot
    /// (KHO's debugfs is there without an incoming handover: 0 kexecs), or unavailable (debugfs not mounted,
    /// a kernel without KEXEC_HANDOVER_DEBUGFS, the previous kernel wrote none, not root), with the reason.
    /// </summary>
    public static KexecMetadataReading Read(string khoDebugfsPath = DefaultKhoDebugfsPath)
    {
        if (!Directory.Exists(khoDebugfsPath))
            return KexecMetadataReading.Unavailable($"{khoDebugfsPath} is not there: mount debugfs (mount -t debugfs none /sys/kernel/debug) on a kernel with CONFIG_KEXEC_HANDOVER_DEBUGFS=y");
        string incoming = Path.Combine(khoDebugfsPath, "in");
        if (!Directory.Exists(incoming))
            return KexecMetadataReading.ColdBoot();
        string path = Path.Combine(khoDebugfsPath, RelativePath);
        byte[] blob;
        try { blob = File.ReadAllBytes(path); }
        catch (FileNotFoundException) { return KexecMetadataReading.Unavailable($"{path} is not there: the previous kernel handed over no kexec-metadata (a kernel before 7.2)"); }
        catch (UnauthorizedAccessException) { return KexecMetadataReading.Unavailable($"{path} is readable by root only (mode 0400)"); }
        catch (IOException error) { return KexecMetadataReading.Unavailable($"{path} cannot be read: {error.Message}"); }
        try { return KexecMetadataReading.Read(Parse(blob)); }
        catch (InvalidDataException error) { return KexecMetadataReading.Unavailable($"{path}: {error.Message}"); }
    }
}

/// <summary>The outcome of <see cref="KexecMetadata.Read"/>.</summary>
/// <param name="Metadata">The blob's contents when the previous kernel handed them over.</param>
/// <param name="IsColdBoot">True when KHO's debugfs shows no incoming handover: no kexec since the cold boot.</param>
/// <param name="Problem">Why nothing could be read (neither found nor a cold boot), and what to do.</param>
public sealed record KexecMetadataReading(KexecMetadata? Metadata, bool IsColdBoot, string? Problem)
{
    public static KexecMetadataReading Read(KexecMetadata metadata) => new(metadata, false, null);

    public static KexecMetadataReading ColdBoot() => new(null, true, null);

    public static KexecMetadataReading Unavailable(string problem) => new(null, false, problem);

    /// <summary>kexecs since the cold boot, when known from debugfs (0 on a cold boot).</summary>
    public uint? KexecCount => Metadata?.KexecCount ?? (IsColdBoot ? 0u : null);
}
