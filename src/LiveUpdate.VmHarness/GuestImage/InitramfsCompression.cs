// InitramfsCompression: how the guest's initramfs is stored. The kernel unpacks an uncompressed
// newc archive by copying it; an LZ4 one (legacy frames, CONFIG_RD_LZ4) it must decompress first,
// but 7.2's purgatory hashes fewer bytes and the retained copy handed to the next kernel is
// smaller. Which one gives the smaller blackout is measured (docs/benchmarks.md, "Levers"), not assumed.
using LiveUpdate.VmHarness.Host;

namespace LiveUpdate.VmHarness.GuestImage;

public enum InitramfsCompression
{
    None,
    Lz4,
}

public static class InitramfsCompressor
{
    public static readonly HostRequirement Lz4Tool = new("lz4", "lz4");

    /// <summary>Compresses <paramref name="archive"/> in place as the kernel reads it (`lz4 -l`); returns the new size.</summary>
    public static async Task<long> ApplyAsync(InitramfsCompression compression, string archive, CancellationToken cancellationToken)
    {
        if (compression == InitramfsCompression.None)
        {
            return new FileInfo(archive).Length;
        }
        HostPrerequisites.Require("An LZ4 initramfs", [Lz4Tool]);
        var compressed = archive + ".lz4";
        await new ExternalCommand("lz4", ["-l", "-9", "-q", "-f", archive, compressed])
            .CaptureCheckedAsync($"Compressing {archive} with lz4 failed; check the free space beside it.", cancellationToken).ConfigureAwait(false);
        File.Move(compressed, archive, overwrite: true);
        return new FileInfo(archive).Length;
    }
}
