// KernelCommandLine: the running kernel's command line (/proc/cmdline) as parameters, to
// tell whether KHO and LUO were switched on and to carry a command line into the next
// kernel (--reuse-cmdline) with some parameters replaced.
namespace LiveUpdate.Kernel;

public sealed class KernelCommandLine
{
    public const string ProcPath = "/proc/cmdline";

    private readonly List<string> _words;

    public KernelCommandLine(string text) =>
        _words = [.. text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)];

    public static KernelCommandLine Current(string path = ProcPath) => new(File.ReadAllText(path));

    public IReadOnlyList<string> Words => _words;

    /// <summary>The value of the last <c>key=value</c> word, "" for a bare <c>key</c>, null when absent.</summary>
    public string? Get(string key)
    {
        for (int i = _words.Count - 1; i >= 0; i--)
        {
            string word = _words[i];
            if (word == key) return "";
            if (word.Length > key.Length && word.StartsWith(key, StringComparison.Ordinal) && word[key.Length] == '=')
                return word[(key.Length + 1)..];
        }
        return null;
    }

    /// <summary>Whether a boolean switch such as <c>kho=on</c> is enabled (on, y, 1, yes, true).</summary>
    public bool IsEnabled(string key) =>
        Get(key) is { } value && (value is "" or "1" or "y" or "Y" or "yes" or "on" or "true");

    /// <summary>A copy with <c>key=value</c> set (replacing every earlier occurrence).</summary>
    public KernelCommandLine With(string key, string value)
    {
        var copy = new KernelCommandLine(ToString());
        copy._words.RemoveAll(w => w == key || w.StartsWith(key + "=", StringComparison.Ordinal));
        copy._words.Add($"{key}={value}");
        return copy;
    }

    public override string ToString() => string.Join(' ', _words);
}
