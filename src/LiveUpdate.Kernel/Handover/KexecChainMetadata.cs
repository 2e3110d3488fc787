// KexecChainMetadata: the "kexec-metadata" KHO subtree (include/linux/kho/abi/kexec_metadata.h):
// not an FDT but a packed struct { u32 version; char previous_release[65]; u32 kexec_count; }
// in CPU (little-endian) order. Outgoing, it is what the next kernel will read: this kernel's
// release and this boot's kexec count + 1; incoming, the previous kernel's release and how many
// kexecs since the last cold boot. A version this reader does not know is reported with its
// number and the fields left null, never guessed.
using System.Buffers.Binary;
using System.Text;

namespace LiveUpdate.Kernel.Handover;

public sealed record KexecChainMetadata(uint Version, bool KnownLayout, string? PreviousRelease, uint? KexecCount)
{
    public const string SubtreeName = "kexec-metadata";
    public const uint KnownVersion = 1;
    /// <summary>__NEW_UTS_LEN + 1.</summary>
    public const int ReleaseLength = 65;
    public const int Version1Size = 4 + ReleaseLength + 4;

    private const string What = "kexec-metadata";

    public static KexecChainMetadata Parse(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < 4)
            throw new HandoverFormatException(What, blob.Length, $"{blob.Length} bytes cannot hold the u32 version");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(blob);
        if (version != KnownVersion) return new KexecChainMetadata(version, false, null, null);
        if (blob.Length < Version1Size)
            throw new HandoverFormatException(What, blob.Length, $"truncated: version 1 is {Version1Size} bytes, the blob has {blob.Length}");
        var release = blob.Slice(4, ReleaseLength);
        int end = release.IndexOf((byte)0);
        if (end < 0)
            throw new HandoverFormatException(What, 4, "previous_release is not NUL-terminated within its 65 bytes");
        foreach (byte b in release[..end])
            if (b < 0x20 || b > 0x7e)
                throw new HandoverFormatException(What, 4, $"previous_release holds a non-printable byte 0x{b:x2}");
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(blob[(4 + ReleaseLength)..]);
        return new KexecChainMetadata(version, true, Encoding.ASCII.GetString(release[..end]), count);
    }
}
