// CriuInvocation: one run of criu — the arguments lucriu gives it (dump and restore), the
// command line with or without chroot into --criu-root, and the run itself. criu inherits
// lucriu's stdout and stderr (its real log goes to the -o file in the images directory); a
// non-zero exit becomes CriuFailedException carrying the exit code and the log's last lines.
using System.Diagnostics;

namespace LuCriu;

internal sealed class CriuInvocation
{
    public const string DumpLog = "dump.log";
    public const string RestoreLog = "restore.log";

    /// <summary>How many of the log's last lines a failure shows.</summary>
    public const int LogTailLines = 20;

    private CriuInvocation(string action, string logName, IReadOnlyList<string> criuArguments)
    {
        Action = action;
        LogName = logName;
        CriuArguments = criuArguments;
    }

    /// <summary>dump or restore.</summary>
    public string Action { get; }

    /// <summary>The -o log file's name (criu writes it into the images directory).</summary>
    public string LogName { get; }

    /// <summary>What criu itself is given (after its own path).</summary>
    public IReadOnlyList<string> CriuArguments { get; }

    /// <summary>
    /// `criu dump -t PID -D IMAGES -o dump.log -v2 --leave-stopped EXTRA...`: --leave-stopped, so a cancelled
    /// update can continue the program in this kernel (SIGCONT); the kexec ends it otherwise.
    /// </summary>
    public static CriuInvocation Dump(int pid, string imagesInRoot, IReadOnlyList<string> extra) =>
        new("dump", DumpLog, ["dump", "-t", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-D", imagesInRoot, "-o", DumpLog, "-v2", "--leave-stopped", .. extra]);

    /// <summary>`criu restore -D IMAGES -d -o restore.log -v2 EXTRA...` (-d: criu exits once the program runs).</summary>
    public static CriuInvocation Restore(string imagesInRoot, IReadOnlyList<string> extra) =>
        new("restore", RestoreLog, ["restore", "-D", imagesInRoot, "-d", "-o", RestoreLog, "-v2", .. extra]);

    /// <summary>The program to start and its arguments: criu itself, or chroot ROOT criu.</summary>
    public (string Program, IReadOnlyList<string> Arguments) CommandLine(string criuPath, string? criuRoot) =>
        criuRoot is null ? (criuPath, CriuArguments) : ("chroot", [criuRoot, criuPath, .. CriuArguments]);

    /// <summary>Runs criu to its end (never abandoned half-way: a killed dump could leave the program frozen); throws on failure.</summary>
    public async Task RunAsync(string criuPath, CriuLayout layout)
    {
        var (program, arguments) = CommandLine(criuPath, layout.CriuRoot);
        var start = new ProcessStartInfo(program) { UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {program}");
        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        if (process.ExitCode != 0)
            throw new CriuFailedException(Action, process.ExitCode, $"{program} {string.Join(' ', arguments)}", Path.Join(layout.ImagesOnHost, LogName));
    }
}
