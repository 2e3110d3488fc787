// PayloadFuzzRegressionTests: payloads the fuzz target "preflight" (fuzz/) crashed or hung
// PayloadDecompressor with (fuzz/crashes/preflight/, less the target's selector byte), and the
// typed problem each answers now.
namespace LiveUpdate.Preflight.Tests;

public sealed class PayloadFuzzRegressionTests
{
    [Fact]
    public void A_bzip2_block_whose_tables_point_outside_it_is_damaged_not_a_crash()
    {
        // SharpZipLib threw IndexOutOfRangeException out of its bzip2 decoder.
        var result = PayloadDecompressor.Decompress(Convert.FromBase64String("QlpoOTFBWSZTWWmiS3QAAB1+/QCABAAgAAJQD6wMAP0oBAABAAAANAJvIAweAACsortgI1botb2y7jAVuFow4nJgdwLrkIEBbBv+CAgbiGfg4xvMfxdyRThQkGmiS2GKAAAA"));
        Assert.Equal(PayloadCompression.Bzip2, result.Compression);
        Assert.Null(result.Kernel);
        Assert.Contains("damaged", result.Problem);
    }

    [Fact]
    public void A_bzip2_block_using_a_table_it_never_defined_is_damaged_not_a_crash()
    {
        // SharpZipLib threw NullReferenceException out of GetAndMoveToFrontDecode (fuzz/crashes/preflight/bzip2-null-reference).
        var result = PayloadDecompressor.Decompress(Convert.FromBase64String("QlpoGzFBWSZTWWmxS2EAAB1+/flGAACABAJQD6wMAPwoicigAAACgmgCgAQAKdAgAFRgAAAAAaAaNB6mQqAAAAACUGQANAJvIAwecdusortgI1botb2y7jAV0Vow4mBgkIHrkIEBZODjG8x/F3JFOFCQaaJ/AAAAAAA="));
        Assert.Equal(PayloadCompression.Bzip2, result.Compression);
        Assert.Null(result.Kernel);
        Assert.Contains("damaged", result.Problem);
    }

    [Fact]
    public void A_tiny_lzma_payload_that_expands_without_end_stops_at_the_largest_kernel()
    {
        // 20 bytes that decompressed for minutes (an AFL hang): now stopped at 1 MiB (MaxExpansion).
        var started = System.Diagnostics.Stopwatch.StartNew();
        var result = PayloadDecompressor.Decompress(Convert.FromBase64String("XQAAAAEAKysrKysrKysrKwAH82U="));
        Assert.Equal(PayloadCompression.Lzma, result.Compression);
        Assert.Null(result.Kernel);
        Assert.Contains("larger than any kernel", result.Problem);
        Assert.Contains("damaged", result.Problem);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), $"took {started.Elapsed}");
    }

    [Fact]
    public void A_device_tree_property_named_outside_the_blob_ends_the_walk_instead_of_throwing()
    {
        // ArgumentOutOfRangeException out of FlattenedDeviceTree.RootProperties.
        var tree = FlattenedDeviceTree.TryParse(Convert.FromBase64String("0A3+7QAAAK0AAAA4AAAAnAAAACgAAAARAAAAEAAAAAAAAAARAAAAZAAAAAAAAAAAAAAAAP8AAAAAAAABAAAAAAAAAAN/////AAAAAGxpbnV4LGR1bW15L3ZpcnQAAAAAAAAAAwAAAtAN/u0AAACtAAAAOAAAAJwAAAAoAAAAEQAAABAAAAAAAAAAEQAAAGQAAAAAAAAAAAAAAAAAAAAAAAAAAQAAAAAAAAAD/3///w=="));
        Assert.NotNull(tree);
        tree.RootProperties();
        tree.RootCompatible();
    }
}
