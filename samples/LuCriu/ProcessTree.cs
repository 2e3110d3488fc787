// ProcessTree: the program's processes as /proc shows them — the root pid and every
// descendant (criu dumps the whole tree and --leave-stopped leaves all of it stopped), each
// process's state letter, and its command line.
namespace LuCriu;

internal static class ProcessTree
{
    public static bool Exists(int pid) => Directory.Exists($"/proc/{pid}");

    /// <summary><paramref name="root"/> and its descendants, parents first (pids that vanish while reading are skipped).</summary>
    public static IReadOnlyList<int> Collect(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out int pid)) continue;
            if (ReadStat(pid) is not { } stat) continue;
            if (!children.TryGetValue(stat.ParentPid, out var list)) children[stat.ParentPid] = list = [];
            list.Add(pid);
        }
        var tree = new List<int> { root };
        for (int i = 0; i < tree.Count; i++)
            if (children.TryGetValue(tree[i], out var list)) tree.AddRange(list);
        return tree;
    }

    /// <summary>The state letter of /proc/PID/stat (R, S, D, T stopped, t traced, Z...), or null when the process is gone.</summary>
    public static char? State(int pid) => ReadStat(pid)?.State;

    /// <summary>The program's argv from /proc/PID/cmdline (empty for a kernel thread or a vanished process).</summary>
    public static IReadOnlyList<string> CommandLine(int pid)
    {
        try
        {
            string raw = File.ReadAllText($"/proc/{pid}/cmdline");
            return raw.Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException) { return []; }
    }

    private static (char State, int ParentPid)? ReadStat(int pid)
    {
        string stat;
        try { stat = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException) { return null; }
        // "pid (comm) S ppid ...": comm may hold spaces and parentheses, so parse after the last ')'.
        int close = stat.LastIndexOf(')');
        if (close < 0 || close + 2 >= stat.Length) return null;
        var fields = stat[(close + 2)..].Split(' ');
        return fields.Length > 1 && int.TryParse(fields[1], out int parent) ? (fields[0][0], parent) : null;
    }
}
