// HandoverStructTests: the two non-FDT subtrees Linux 7.2 registers with KHO — LUO's struct
// luo_ser and the packed kexec-metadata — decoded from byte layouts built by the ABI headers'
// rules, a bumped compatible read generically, and damaged blobs refused with a clear error.
using System.Buffers.Binary;
using System.Text;
using LiveUpdate.Kernel.Handover;

namespace LiveUpdate.Kernel.Tests.Handover;

public sealed class HandoverStructTests
{
    public static byte[] LuoSer(string compatible, ulong number, ulong sessions, ulong flbs)
    {
        int fields = (compatible.Length + 1 + 7) & ~7;
        var blob = new byte[fields + 24];
        Encoding.ASCII.GetBytes(compatible).CopyTo(blob, 0);
        BinaryPrimitives.WriteUInt64LittleEndian(blob.AsSpan(fields), number);
        BinaryPrimitives.WriteUInt64LittleEndian(blob.AsSpan(fields + 8), sessions);
        BinaryPrimitives.WriteUInt64LittleEndian(blob.AsSpan(fields + 16), flbs);
        return blob;
    }

    public static byte[] KexecMetadata(uint version, string release, uint count)
    {
        var blob = new byte[KexecChainMetadata.Version1Size];
        BinaryPrimitives.WriteUInt32LittleEndian(blob, version);
        Encoding.ASCII.GetBytes(release).CopyTo(blob, 4);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(69), count);
        return blob;
    }

    [Fact]
    public void Luo_v5_header_is_32_bytes_of_compatible_number_and_addresses()
    {
        var blob = LuoSer("luo-v5", 2, 0x1_0000_3000, 0x1_0000_4000);
        Assert.Equal(32, blob.Length);
        var header = LuoStateHeader.Parse(blob);
        Assert.Equal(new LuoStateHeader("luo-v5", true, 2, 0x1_0000_3000, 0x1_0000_4000), header);
    }

    [Fact]
    public void A_longer_bumped_compatible_moves_the_fields_as_ALIGN_does_and_is_flagged()
    {
        var header = LuoStateHeader.Parse(LuoSer("luo-v6-experimental", 1, 0, 0x5000));
        Assert.Equal("luo-v6-experimental", header.Compatible);
        Assert.False(header.KnownAbi);
        Assert.Equal(1UL, header.LiveUpdateNumber);
        Assert.Equal(0x5000UL, header.FlbsPhysicalAddress);
    }

    [Fact]
    public void Truncated_or_textless_luo_header_is_refused()
    {
        Assert.Contains("truncated", Assert.Throws<HandoverFormatException>(() => LuoStateHeader.Parse(LuoSer("luo-v5", 1, 0, 0)[..31])).Message);
        Assert.Contains("NUL-terminated", Assert.Throws<HandoverFormatException>(() => LuoStateHeader.Parse(new byte[32])).Message);
        Assert.Contains("non-printable", Assert.Throws<HandoverFormatException>(() => LuoStateHeader.Parse([0x01, 0x02, 0, 0, 0, 0, 0, 0, .. new byte[24]])).Message);
    }

    [Fact]
    public void Kexec_metadata_v1_gives_release_and_count()
    {
        var metadata = KexecChainMetadata.Parse(KexecMetadata(1, "7.2.13", 3));
        Assert.Equal(new KexecChainMetadata(1, true, "7.2.13", 3u), metadata);
    }

    [Fact]
    public void Kexec_metadata_of_an_unknown_version_keeps_only_the_version()
    {
        var metadata = KexecChainMetadata.Parse(KexecMetadata(2, "7.4.0", 1));
        Assert.Equal(new KexecChainMetadata(2, false, null, null), metadata);
    }

    [Fact]
    public void Damaged_kexec_metadata_is_refused()
    {
        Assert.Contains("u32 version", Assert.Throws<HandoverFormatException>(() => KexecChainMetadata.Parse(new byte[3])).Message);
        Assert.Contains("truncated", Assert.Throws<HandoverFormatException>(() => KexecChainMetadata.Parse(KexecMetadata(1, "7.2", 1)[..72])).Message);
        Assert.Contains("NUL-terminated", Assert.Throws<HandoverFormatException>(() => KexecChainMetadata.Parse(KexecMetadata(1, new string('x', 65), 1))).Message);
    }
}
