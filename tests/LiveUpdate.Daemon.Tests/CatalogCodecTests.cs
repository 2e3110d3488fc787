// CatalogCodecTests: the catalog's byte format — a round trip keeps every field, and each
// way a catalog can be unreadable is refused with a message naming its cause and the fix.
// (The frozen bytes themselves: HandoverAbiGoldenTests.)
namespace LiveUpdate.Daemon.Tests;

public sealed class CatalogCodecTests
{
    private static CatalogDocument Sample() => new(7, 123456789, "7.2.0-test",
    [
        new CatalogSession(1000, "db", "luod.u1000.db", CatalogSessionMode.Managed, 42, "aGVsbG8=",
            [new CatalogFile("heap", 1, 4096), new CatalogFile("wal", 2, 8192)]),
        new CatalogSession(0, "vm ünïcode", "luod.u0.vm ünïcode", CatalogSessionMode.Delegated, 43, null, []),
    ]);

    [Fact]
    public void Round_trip_keeps_every_field()
    {
        var original = Sample();
        var decoded = CatalogCodec.Decode(CatalogCodec.Encode(original));
        Assert.Equal(original.Generation, decoded.Generation);
        Assert.Equal(original.WrittenNs, decoded.WrittenNs);
        Assert.Equal(original.KernelRelease, decoded.KernelRelease);
        Assert.Equal(original.Sessions.Count, decoded.Sessions.Count);
        for (int i = 0; i < original.Sessions.Count; i++)
        {
            var (want, got) = (original.Sessions[i], decoded.Sessions[i]);
            Assert.Equal(want with { Files = [] }, got with { Files = [] });
            Assert.Equal(want.Files, got.Files);
        }
    }

    [Fact]
    public void Wrong_magic_is_named()
    {
        byte[] bytes = CatalogCodec.Encode(Sample());
        bytes[0] = (byte)'X';
        var error = Assert.Throws<CatalogUnreadableException>(() => CatalogCodec.Decode(bytes));
        Assert.Contains("LUODCAT", error.Message);
        Assert.Contains("not written by luod", error.Message);
        Assert.Contains("luod.catalog", error.Message);
    }

    [Fact]
    public void Newer_version_is_named()
    {
        byte[] bytes = CatalogCodec.Encode(Sample());
        bytes[8] = CatalogCodec.FormatVersion + 1;
        var error = Assert.Throws<CatalogUnreadableException>(() => CatalogCodec.Decode(bytes));
        Assert.Contains($"format version {CatalogCodec.FormatVersion + 1}", error.Message);
        Assert.Contains($"reads versions 1-{CatalogCodec.FormatVersion} only", error.Message);
        Assert.Contains("at least as new as the one it replaces", error.Message);
    }

    [Fact]
    public void Newer_version_is_refused_before_its_payload_is_looked_at()
    {
        // A newer luod may frame its payload differently: the version decides before length or hash.
        byte[] bytes = CatalogCodec.Encode(Sample());
        bytes[8] = CatalogCodec.FormatVersion + 1;
        bytes[12] = 0xff;
        bytes[CatalogCodec.HeaderSize] ^= 1;
        var error = Assert.Throws<CatalogUnreadableException>(() => CatalogCodec.Decode(bytes));
        Assert.Contains($"format version {CatalogCodec.FormatVersion + 1}", error.Message);
    }

    [Fact]
    public void Version_no_luod_wrote_is_named_as_damage()
    {
        byte[] bytes = CatalogCodec.Encode(Sample());
        bytes[8] = 0;
        var error = Assert.Throws<CatalogUnreadableException>(() => CatalogCodec.Decode(bytes));
        Assert.Contains("format version 0, which no luod wrote", error.Message);
        Assert.Contains("header is damaged", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(CatalogCodec.HeaderSize - 1)]
    public void Shorter_than_the_header_is_named(int length)
    {
        byte[] bytes = CatalogCodec.Encode(Sample())[..length];
        var error = Assert.Throws<CatalogUnreadableException>(() => CatalogCodec.Decode(bytes));
        Assert.Contains("shorter than", error.Message);
        Assert.Contains("owners must recreate their state", error.Message);
    }

    [Fact]
    public void Truncated_payload_is_named()
    {
        byte[] full = CatalogCodec.Encode(Sample());
        var error = Assert.Throws<CatalogUnreadableException>(() => CatalogCodec.Decode(full[..^5]));
        Assert.Contains("payload bytes but holds", error.Message);
        Assert.Contains("cut short", error.Message);
        Assert.Contains("owners must recreate their state", error.Message);
    }

    [Fact]
    public void Negative_length_is_named()
    {
        byte[] bytes = CatalogCodec.Encode(Sample());
        BitConverter.GetBytes(-1).CopyTo(bytes, 12);
        var error = Assert.Throws<CatalogUnreadableException>(() => CatalogCodec.Decode(bytes));
        Assert.Contains("claims -1 payload bytes", error.Message);
    }

    [Fact]
    public void Flipped_payload_byte_is_named_as_damage()
    {
        byte[] bytes = CatalogCodec.Encode(Sample());
        bytes[CatalogCodec.HeaderSize + 3] ^= 0x20;
        var error = Assert.Throws<CatalogUnreadableException>(() => CatalogCodec.Decode(bytes));
        Assert.Contains("SHA-256", error.Message);
        Assert.Contains("damaged", error.Message);
        Assert.Contains("owners must recreate their state", error.Message);
    }

    [Fact]
    public void Hash_matching_payload_that_is_not_a_catalog_is_named()
    {
        byte[] payload = "[1,2,3]"u8.ToArray();
        byte[] bytes = new byte[CatalogCodec.HeaderSize + payload.Length];
        "LUODCAT\0"u8.CopyTo(bytes);
        BitConverter.GetBytes(1).CopyTo(bytes, 8);
        BitConverter.GetBytes(payload.Length).CopyTo(bytes, 12);
        System.Security.Cryptography.SHA256.HashData(payload).CopyTo(bytes, 16);
        payload.CopyTo(bytes, CatalogCodec.HeaderSize);
        var error = Assert.Throws<CatalogUnreadableException>(() => CatalogCodec.Decode(bytes));
        Assert.Contains("not a version-1 catalog", error.Message);
    }

    [Fact]
    public void Padding_after_the_payload_is_ignored()
    {
        // The catalog memfd is larger than the catalog: the rest is zeros.
        byte[] full = CatalogCodec.Encode(Sample());
        byte[] padded = new byte[full.Length + 1000];
        full.CopyTo(padded, 0);
        Assert.Equal(7, CatalogCodec.Decode(padded).Generation);
    }

    [Fact]
    public void Warm_up_round_trips_a_catalog_using_every_part_of_the_format()
    {
        // Runs at luod start on another thread; it must never throw (a throw would go unobserved).
        CatalogCodec.WarmUp();
        CatalogCodec.WarmUp();
    }
}
