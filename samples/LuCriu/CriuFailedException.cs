// CriuFailedException: criu exited with an error. Its message is what luod reports as the
// reason of the cancelled update (dump) or what `lucriu restore` prints: the exit code, the
// command line, and the last lines of criu's log, which name the cause.
namespace LuCriu;

internal sealed class CriuFailedException(string action, int exitCode, string commandLine, string logPath)
    : Exception(Describe(action, exitCode, commandLine, logPath))
{
    public int ExitCode { get; } = exitCode;

    public string LogPath { get; } = logPath;

    private static string Describe(string action, int exitCode, string commandLine, string logPath) =>
        $"criu {action} failed with exit code {exitCode} ({commandLine}); {LogTail(logPath)}";

    /// <summary>The log's last <see cref="CriuInvocation.LogTailLines"/> lines, introduced, or why there are none.</summary>
    public static string LogTail(string logPath)
    {
        try
        {
            var lines = File.ReadAllLines(logPath);
            if (lines.Length == 0) return $"{logPath} is empty";
            var tail = lines.AsSpan(Math.Max(0, lines.Length - CriuInvocation.LogTailLines));
            return $"last {tail.Length} line(s) of {logPath}:\n{string.Join('\n', tail.ToArray())}";
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return $"no log to show ({logPath}: {error.Message})";
        }
    }
}
