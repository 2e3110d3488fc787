// EmbeddedConfig: the build configuration a kernel carries inside itself (CONFIG_IKCONFIG):
// kernel/configs.c places a gzip of .config between the markers "IKCFG_ST" and "IKCFG_ED".
// It tells what the next kernel was built with, without booting it.
using System.IO.Compression;
using System.Text;
using LiveUpdate.Kernel;

namespace LiveUpdate.Preflight;

public static class EmbeddedConfig
{
    private static readonly byte[] StartMarker = "IKCFG_ST"u8.ToArray();
    private static readonly byte[] EndMarker = "IKCFG_ED"u8.ToArray();

    /// <summary>The embedded config, or null when the kernel was built without CONFIG_IKCONFIG.</summary>
    public static KernelConfig? Find(ReadOnlySpan<byte> kernel)
    {
        int from = 0;
        while (from < kernel.Length)
        {
            int start = kernel[from..].IndexOf(StartMarker);
            if (start < 0) return null;
            start += from + StartMarker.Length;
            from = start;
            if (start + 2 > kernel.Length || kernel[start] != 0x1F || kernel[start + 1] != 0x8B) continue;
            int end = kernel[start..].IndexOf(EndMarker);
            if (end < 0) return null;
            try
            {
                using var gzip = new GZipStream(new MemoryStream(kernel.Slice(start, end).ToArray()), CompressionMode.Decompress);
                using var reader = new StreamReader(gzip, Encoding.UTF8);
                var lines = new List<string>();
                while (reader.ReadLine() is { } line) lines.Add(line);
                return new KernelConfig(lines);
            }
            catch (InvalidDataException)
            {
                // Not the real config blob (the markers also appear in kernel/configs.c's strings); keep looking.
            }
        }
        return null;
    }
}
