// CatalogCodecTests: the catalog's byte format — a round trip keeps every field, and each
// way a catalog can be unreadable is reported with its cause.
namespace LiveUpdate.Daemon.Tests;

public sealed class CatalogCodecTests
{
    private static CatalogDocument Sample() => new(7, 123456789, "7.2.0-test",
    [
        new CatalogSession(1000, "db", "luod.u1000.db", SessionMode.Managed, 42, "aGVsbG8=",
            [new CatalogFile("heap", 1, 4096), new CatalogFile("wal", 2, 8192)]),
        new CatalogSession(0, "vm ünïcode", "luod.u0.vm ünïcode", SessionMode.Delegated, 43, null, []),
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
    }

    [Fact]
    public void Newer_version_is_named()
    {
        byte[] bytes = CatalogCodec.Encode(Sample());
        bytes[8] = CatalogCodec.FormatVersion + 1;
        var error = Assert.Throws<CatalogUnreadableException>(() => CatalogCodec.Decode(bytes));
        Assert.Contains($"format version {CatalogCodec.FormatVersion + 1}", error.Message);
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
    }

    [Fact]
    public void Truncated_payload_is_named()
    {
        byte[] full = CatalogCodec.Encode(Sample());
        var error = Assert.Throws<CatalogUnreadableException>(() => CatalogCodec.Decode(full[..^5]));
        Assert.Contains("payload bytes but holds", error.Message);
    }

    [Fact]
    public void Flipped_payload_byte_is_named_as_damage()
    {
        byte[] bytes = CatalogCodec.Encode(Sample());
        bytes[CatalogCodec.HeaderSize + 3] ^= 0x20;
        var error = Assert.Throws<CatalogUnreadableException>(() => CatalogCodec.Decode(bytes));
        Assert.Contains("SHA-256", error.Message);
        Assert.Contains("damaged", error.Message);
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
