// LuCriuOptions: lucriu's command line, parsed. Every option that takes a value takes the next
// argument as it is, so `--criu-arg --tcp-established` passes "--tcp-established" to criu;
// --criu-arg repeats. Options that do not belong to the command are refused, not ignored.
namespace LuCriu;

internal enum LuCriuCommand { Keep, Restore }

internal sealed record LuCriuOptions
{
    public const string DefaultCriuPath = "/usr/sbin/criu";

    public required LuCriuCommand Command { get; init; }

    public required string Name { get; init; }

    /// <summary>keep: the program to checkpoint.</summary>
    public int Pid { get; init; }

    /// <summary>A distribution root criu runs in (chroot DIR criu ...); paths given to criu are inside it.</summary>
    public string? CriuRoot { get; init; }

    public string CriuPath { get; init; } = DefaultCriuPath;

    /// <summary>The work directory as criu sees it (inside <see cref="CriuRoot"/> when set); default /run/lucriu/NAME.</summary>
    public string? WorkDirectory { get; init; }

    public string? LuodSocket { get; init; }

    /// <summary>Passed to criu after lucriu's own arguments, in order.</summary>
    public IReadOnlyList<string> CriuArguments { get; init; } = [];

    /// <summary>restore: do not call Resumed (the caller reports the end of the blackout itself).</summary>
    public bool NoResumed { get; init; }

    public static bool WantsHelp(ReadOnlySpan<string> args)
    {
        foreach (var a in args) if (a is "-h" or "--help") return true;
        return false;
    }

    public static LuCriuOptions Parse(string[] args)
    {
        if (args.Length == 0) throw new UsageException("a command is needed: keep or restore");
        var command = args[0] switch
        {
            "keep" => LuCriuCommand.Keep,
            "restore" => LuCriuCommand.Restore,
            _ => throw new UsageException($"unknown command '{args[0]}' (keep or restore)"),
        };
        string? name = null, pid = null, root = null, criu = null, work = null, socket = null;
        bool noResumed = false;
        var criuArguments = new List<string>();
        for (int i = 1; i < args.Length; i++)
        {
            string option = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{option} needs a value");
            switch (option)
            {
                case "--name": name = Value(); break;
                case "--pid" when command == LuCriuCommand.Keep: pid = Value(); break;
                case "--criu-root": root = Value(); break;
                case "--criu": criu = Value(); break;
                case "--work": work = Value(); break;
                case "--luod-socket": socket = Value(); break;
                case "--criu-arg": criuArguments.Add(Value()); break;
                case "--no-resumed" when command == LuCriuCommand.Restore: noResumed = true; break;
                default: throw new UsageException($"'{option}' is not an option of lucriu {args[0]}");
            }
        }
        if (string.IsNullOrEmpty(name)) throw new UsageException("--name NAME is required (the luod participant and session name)");
        int pidValue = 0;
        if (command == LuCriuCommand.Keep)
        {
            if (pid is null) throw new UsageException("--pid PID is required (the program to carry across the update)");
            if (!int.TryParse(pid, out pidValue) || pidValue <= 0) throw new UsageException($"--pid wants a process id, not '{pid}'");
        }
        if (root is not null && !Path.IsPathRooted(root)) throw new UsageException($"--criu-root wants an absolute path, not '{root}'");
        if (work is not null && !Path.IsPathRooted(work)) throw new UsageException($"--work wants an absolute path, not '{work}'");
        return new LuCriuOptions
        {
            Command = command, Name = name, Pid = pidValue, CriuRoot = root, CriuPath = criu ?? DefaultCriuPath,
            WorkDirectory = work, LuodSocket = socket, CriuArguments = criuArguments, NoResumed = noResumed,
        };
    }
}

internal sealed class UsageException(string message) : Exception(message);
