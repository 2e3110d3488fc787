// KernelImage: what preflight knows about one kernel image after reading it: release,
// compressor, its ABI compatibility strings and its embedded config — or, for each of
// those, why it could not be found. Reading an image that is not a bzImage throws
// KernelImageException; an undecompressable payload does not (it becomes DecompressProblem).
using LiveUpdate.Kernel;

namespace LiveUpdate.Preflight;

public sealed class KernelImage
{
    private readonly Dictionary<string, IReadOnlyList<string>> _abiStrings;

    private KernelImage(BzImage image, DecompressedPayload payload, Dictionary<string, IReadOnlyList<string>> abiStrings, KernelConfig? config)
    {
        Image = image;
        Compression = payload.Compression;
        DecompressProblem = payload.Problem;
        DecompressedSize = payload.Kernel?.Length;
        DecompressTime = payload.Elapsed;
        _abiStrings = abiStrings;
        Config = config;
    }

    public BzImage Image { get; }

    public string Path => Image.Path;

    public string Release => Image.Release;

    public PayloadCompression Compression { get; }

    /// <summary>Why the payload could not be decompressed (then no ABI string or config is known); null when it was.</summary>
    public string? DecompressProblem { get; }

    public bool Decompressed => DecompressProblem is null;

    public int? DecompressedSize { get; }

    public TimeSpan DecompressTime { get; }

    /// <summary>The IKCONFIG config, null when absent or not decompressed.</summary>
    public KernelConfig? Config { get; }

    /// <summary>Reads and decompresses <paramref name="path"/>, scanning for the standard components and <paramref name="handlers"/>.</summary>
    public static KernelImage Read(string path, IEnumerable<string>? handlers = null) => FromBzImage(BzImage.Read(path), handlers);

    public static KernelImage FromBzImage(BzImage image, IEnumerable<string>? handlers = null)
    {
        var payload = PayloadDecompressor.Decompress(image.Payload);
        var strings = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        KernelConfig? config = null;
        if (payload.Kernel is { } kernel)
        {
            var components = new List<AbiComponent> { AbiComponent.Kho, AbiComponent.Luo, AbiComponent.Handler("memfd") };
            components.AddRange((handlers ?? []).Select(AbiComponent.Handler));
            foreach (var component in components.DistinctBy(c => c.Name))
                strings[component.Name] = AbiStringScanner.Find(kernel, component);
            config = EmbeddedConfig.Find(kernel);
        }
        return new KernelImage(image, payload, strings, config);
    }

    /// <summary>
    /// The compatibility strings of <paramref name="component"/> found in the image: empty when the kernel
    /// lacks it, null when unknown (payload not decompressed).
    /// </summary>
    public IReadOnlyList<string>? AbiStrings(AbiComponent component)
    {
        if (!Decompressed) return null;
        if (_abiStrings.TryGetValue(component.Name, out var found)) return found;
        return null;
    }

    /// <summary>Every component scanned for, with the strings found.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> AllAbiStrings => _abiStrings;
}
