// KernelConfig: the running kernel's build configuration read from /proc/config.gz
// (CONFIG_IKCONFIG_PROC), so the probe can tell "built without LUO" from "LUO switched
// off on the command line" and say which fix applies.
using System.IO.Compression;

namespace LiveUpdate.Kernel;

public sealed class KernelConfig
{
    public const string ProcPath = "/proc/config.gz";

    private readonly Dictionary<string, string> _options;

    public KernelConfig(IEnumerable<string> lines)
    {
        _options = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in lines)
        {
            int eq = line.IndexOf('=');
            if (line.StartsWith("CONFIG_", StringComparison.Ordinal) && eq > 0)
                _options[line[..eq]] = line[(eq + 1)..];
        }
    }

    /// <summary>Reads /proc/config.gz; null when the kernel does not expose its config.</summary>
    public static KernelConfig? TryReadRunning(string path = ProcPath)
    {
        if (!File.Exists(path)) return null;
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line) lines.Add(line);
        return new KernelConfig(lines);
    }

    /// <summary>The option's value ("y", "m", a number or string), or null when unset.</summary>
    public string? Get(string option) => _options.GetValueOrDefault(option);

    public bool IsBuiltIn(string option) => Get(option) == "y";
}
