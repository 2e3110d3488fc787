// KexecMetadataTests: the kexec-metadata reader against blobs laid out as the kernel's packed
// struct kho_kexec_metadata (include/linux/kho/abi/kexec_metadata.h), and against KHO debugfs
// directories of a cold boot, a kexec'd boot and a machine without debugfs.
using System.Buffers.Binary;
using System.Text;
using LiveUpdate.Kernel;

namespace LiveUpdate.Kernel.Tests;

public sealed class KexecMetadataTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("kho-debugfs-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static byte[] Blob(uint version, string release, uint count)
    {
        var blob = new byte[KexecMetadata.Size];
        BinaryPrimitives.WriteUInt32LittleEndian(blob, version);
        Encoding.ASCII.GetBytes(release).CopyTo(blob, 4);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(4 + 65), count);
        return blob;
    }

    [Fact]
    public void The_struct_is_73_bytes_packed() => Assert.Equal(73, KexecMetadata.Size);

    [Fact]
    public void Parses_the_previous_release_and_the_count()
    {
        var metadata = KexecMetadata.Parse(Blob(1, "7.2.13", 3));
        Assert.Equal(new KexecMetadata(1, "7.2.13", 3), metadata);
    }

    [Fact]
    public void A_release_of_the_full_64_characters_is_read_to_its_end()
    {
        string release = new('x', 64);
        Assert.Equal(release, KexecMetadata.Parse(Blob(1, release, 1)).PreviousRelease);
    }

    [Fact]
    public void Another_version_and_a_short_blob_are_refused_with_the_reason()
    {
        Assert.Contains("version 2", Assert.Throws<InvalidDataException>(() => KexecMetadata.Parse(Blob(2, "7.9", 1))).Message);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => KexecMetadata.Parse(Blob(1, "7.2", 1).AsSpan(0, 40))).Message);
        Assert.Contains("too short", Assert.Throws<InvalidDataException>(() => KexecMetadata.Parse([1, 0])).Message);
    }

    [Fact]
    public void A_kexecd_boot_is_read_from_debugfs()
    {
        Directory.CreateDirectory(Path.Combine(_root, "in", "sub_fdts"));
        File.WriteAllBytes(Path.Combine(_root, KexecMetadata.RelativePath), Blob(1, "7.2.13", 2));
        var reading = KexecMetadata.Read(_root);
        Assert.Equal("7.2.13", reading.Metadata?.PreviousRelease);
        Assert.Equal(2u, reading.KexecCount);
        Assert.False(reading.IsColdBoot);
    }

    [Fact]
    public void Without_an_incoming_handover_it_is_a_cold_boot_with_no_kexec()
    {
        Directory.CreateDirectory(Path.Combine(_root, "out"));
        var reading = KexecMetadata.Read(_root);
        Assert.True(reading.IsColdBoot);
        Assert.Equal(0u, reading.KexecCount);
    }

    [Fact]
    public void Without_debugfs_it_is_unavailable_and_says_how_to_mount_it()
    {
        var reading = KexecMetadata.Read(Path.Combine(_root, "absent"));
        Assert.Null(reading.KexecCount);
        Assert.Contains("mount -t debugfs", reading.Problem);
    }

    [Fact]
    public void An_incoming_handover_without_the_blob_is_unavailable()
    {
        Directory.CreateDirectory(Path.Combine(_root, "in", "sub_fdts"));
        var reading = KexecMetadata.Read(_root);
        Assert.Null(reading.KexecCount);
        Assert.Contains("no kexec-metadata", reading.Problem);
    }
}
