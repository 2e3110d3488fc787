// KernelConfigVerifier: checks that olddefconfig kept every option of vm/kernel.fragment. Kconfig
// silently drops options whose dependencies are unmet; this turns that into an error naming each
// lost option, what it became, and (given the source tree) the Kconfig dependencies to look at.
using System.Text.RegularExpressions;

namespace LiveUpdate.VmHarness.Kernels;

public static partial class KernelConfigVerifier
{
    /// <summary>Options the fragment sets: name → value, where null means "# CONFIG_X is not set".</summary>
    public static IReadOnlyDictionary<string, string?> ParseConfig(string text)
    {
        var options = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (NotSetLine().Match(line) is { Success: true } notSet)
            {
                options[notSet.Groups[1].Value] = null;
            }
            else if (SetLine().Match(line) is { Success: true } set)
            {
                options[set.Groups[1].Value] = set.Groups[2].Value;
            }
        }
        return options;
    }

    /// <summary>Every fragment option whose value the final .config does not have.</summary>
    public static IReadOnlyList<ConfigMismatch> FindMismatches(string fragmentText, string configText)
    {
        var wanted = ParseConfig(fragmentText);
        var actual = ParseConfig(configText);
        var mismatches = new List<ConfigMismatch>();
        foreach (var (name, value) in wanted)
        {
            actual.TryGetValue(name, out var got);
            var same = value is null ? got is null or "n" : got == value;
            if (!same)
            {
                mismatches.Add(new ConfigMismatch(name, value, got));
            }
        }
        return mismatches;
    }

    /// <summary>
    /// Throws naming every mismatch; with <paramref name="sourceTree"/> it also quotes the option's
    /// Kconfig "depends on" lines, the usual reason an option is dropped.
    /// </summary>
    public static void Verify(string fragmentText, string configText, string fragmentPath, string configPath, string? sourceTree)
    {
        var mismatches = FindMismatches(fragmentText, configText);
        if (mismatches.Count == 0)
        {
            return;
        }
        throw new HarnessException(Describe(mismatches, fragmentPath, configPath, sourceTree));
    }

    public static string Describe(IReadOnlyList<ConfigMismatch> mismatches, string fragmentPath, string configPath, string? sourceTree)
    {
        var kconfig = sourceTree is null ? null : KconfigIndex(sourceTree);
        var lines = new List<string>
        {
            $"The kernel .config ({configPath}) lost {mismatches.Count} option(s) from {fragmentPath}:",
        };
        foreach (var m in mismatches)
        {
            var cause = m.Actual is null && kconfig is not null && !kconfig.ContainsKey(m.Name["CONFIG_".Length..])
                ? "the option does not exist in this kernel version (renamed or removed): drop or rename it in the fragment"
                : "likely an unmet dependency (Kconfig drops it silently): add the options it depends on to the fragment";
            lines.Add($"  {m.Name}: wanted {m.Wanted ?? "not set"}, got {m.Actual ?? "not set"} — {cause}");
            if (kconfig is not null && kconfig.TryGetValue(m.Name["CONFIG_".Length..], out var dependencies))
            {
                lines.AddRange(dependencies.Select(d => "      " + d));
            }
        }
        return string.Join('\n', lines);
    }

    /// <summary>symbol → where it is defined and its "depends on" lines, from every Kconfig file of the tree.</summary>
    private static Dictionary<string, List<string>> KconfigIndex(string sourceTree)
    {
        var index = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (!Directory.Exists(sourceTree))
        {
            return index;
        }
        foreach (var file in Directory.EnumerateFiles(sourceTree, "Kconfig*", SearchOption.AllDirectories))
        {
            string? current = null;
            foreach (var raw in File.ReadLines(file))
            {
                var line = raw.Trim();
                if (ConfigHeader().Match(line) is { Success: true } header)
                {
                    current = header.Groups[1].Value;
                    if (!index.ContainsKey(current))
                    {
                        index[current] = [];
                    }
                    index[current].Add($"defined in {Path.GetRelativePath(sourceTree, file)}");
                }
                else if (current is not null && line.StartsWith("depends on", StringComparison.Ordinal))
                {
                    index[current].Add(line);
                }
                else if (line.StartsWith("endmenu", StringComparison.Ordinal) || line.StartsWith("menu ", StringComparison.Ordinal)
                         || line.StartsWith("if ", StringComparison.Ordinal) || line.StartsWith("choice", StringComparison.Ordinal))
                {
                    current = null;
                }
            }
        }
        return index;
    }

    [GeneratedRegex(@"^(CONFIG_[A-Za-z0-9_]+)=(.*)$")]
    private static partial Regex SetLine();

    [GeneratedRegex(@"^# (CONFIG_[A-Za-z0-9_]+) is not set$")]
    private static partial Regex NotSetLine();

    [GeneratedRegex(@"^(?:menu)?config\s+([A-Za-z0-9_]+)\s*$")]
    private static partial Regex ConfigHeader();
}
