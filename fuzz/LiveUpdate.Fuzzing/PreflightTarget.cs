// PreflightTarget: the kernel-image readers of the preflight. The first byte picks one:
// 0 the bzImage setup header and the whole analysis of the image (BzImage.Parse, KernelImage.FromBzImage);
// 1 the compressed payload (PayloadDecompressor.Decompress: gzip, bzip2, xz, lzma, lz4, zstd);
// 2 a flattened device tree (FlattenedDeviceTree.TryParse and its root properties);
// 3 the IKCONFIG block embedded in a kernel (EmbeddedConfig.Find).
// Fine: KernelImageException (the typed refusal of an image) and InvalidDataException (a damaged
// compressed stream). Decompress answers its own typed problems in its result. Anything else is a bug.
using LiveUpdate.Preflight;

namespace LiveUpdate.Fuzzing;

public static class PreflightTarget
{
    public static void Run(byte[] input)
    {
        if (input.Length == 0) return;
        byte[] rest = input[1..];
        try
        {
            switch (input[0] % 4)
            {
                case 0:
                    KernelImage.FromBzImage(BzImage.Parse("fuzz-input", rest));
                    break;
                case 1:
                    PayloadDecompressor.Decompress(rest);
                    break;
                case 2:
                    var tree = FlattenedDeviceTree.TryParse(rest);
                    tree?.RootProperties();
                    tree?.RootCompatible();
                    break;
                default:
                    EmbeddedConfig.Find(rest);
                    break;
            }
        }
        catch (KernelImageException) { }
        catch (InvalidDataException) { }
    }
}
