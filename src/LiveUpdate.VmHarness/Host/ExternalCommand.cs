// ExternalCommand: one invocation of an external tool (apt-get, make, gcc, qemu, ...), run
// asynchronously with its output either captured or streamed to a log file. Cancelling the
// token kills the whole process tree; a missing tool becomes a HarnessException naming the fix.
using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace LiveUpdate.VmHarness.Host;

public sealed class ExternalCommand
{
    public ExternalCommand(string fileName, IEnumerable<string> arguments)
    {
        FileName = fileName;
        Arguments = arguments.ToArray();
    }

    public string FileName { get; }

    public IReadOnlyList<string> Arguments { get; }

    public string? WorkingDirectory { get; init; }

    /// <summary>Variables to set (value) or remove (null) in the child's environment.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>The command line as a shell user would type it, for messages and logs.</summary>
    public string Display => string.Join(' ', new[] { FileName }.Concat(Arguments).Select(Quote));

    /// <summary>Runs to completion and returns exit code, stdout and stderr.</summary>
    public async Task<CommandResult> CaptureAsync(CancellationToken cancellationToken)
    {
        using var process = Start();
        // No token on the reads: cancelling kills the process, which ends both streams.
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        await WaitAsync(process, cancellationToken).ConfigureAwait(false);
        return new CommandResult(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    /// <summary>Runs to completion and throws (with stderr) when the exit code is not 0.</summary>
    public async Task<CommandResult> CaptureCheckedAsync(string fix, CancellationToken cancellationToken)
    {
        var result = await CaptureAsync(cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            var stderr = result.StandardError.Trim();
            throw new HarnessException(
                $"`{Display}` failed with exit code {result.ExitCode}" +
                (stderr.Length > 0 ? $": {LastLines(stderr, 15)}" : ".") + $" {fix}");
        }
        return result;
    }

    /// <summary>
    /// Runs to completion, appending stdout and stderr line by line to <paramref name="logPath"/>
    /// and handing each line to <paramref name="onLine"/>. Returns the exit code.
    /// </summary>
    public async Task<int> RunToLogAsync(string logPath, Action<string>? onLine, CancellationToken cancellationToken)
    {
        // No BOM, flushed per line so `tail -f` on the log follows a long build.
        await using var log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false))
        {
            AutoFlush = true,
        };
        var gate = new Lock();
        lock (gate)
        {
            log.WriteLine($"$ {Display}");
        }

        using var process = Start();
        async Task Pump(StreamReader reader)
        {
            // No token here: cancelling kills the process, which ends both streams.
            while (await reader.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
            {
                lock (gate)
                {
                    log.WriteLine(line);
                }
                onLine?.Invoke(line);
            }
        }

        var pumps = Task.WhenAll(Pump(process.StandardOutput), Pump(process.StandardError));
        await WaitAsync(process, cancellationToken).ConfigureAwait(false);
        await pumps.ConfigureAwait(false);
        lock (gate)
        {
            log.WriteLine($"[exit code {process.ExitCode}]");
        }
        return process.ExitCode;
    }

    /// <summary>
    /// Runs <paramref name="producer"/> | <paramref name="consumer"/> (stdout of one into stdin of the
    /// other, streamed, nothing held in memory) and throws when either side fails.
    /// </summary>
    public static async Task PipeAsync(ExternalCommand producer, ExternalCommand consumer, string fix, CancellationToken cancellationToken)
    {
        using var producerProcess = producer.Start();
        using var consumerProcess = consumer.Start(keepInputOpen: true);
        var producerErrors = producerProcess.StandardError.ReadToEndAsync(CancellationToken.None);
        var consumerErrors = consumerProcess.StandardError.ReadToEndAsync(CancellationToken.None);
        var consumerOutput = consumerProcess.StandardOutput.ReadToEndAsync(CancellationToken.None);

        // Cancelling kills both sides, which ends every stream below.
        await using (cancellationToken.Register(() =>
        {
            KillTree(producerProcess);
            KillTree(consumerProcess);
        }).ConfigureAwait(false))
        {
            try
            {
                await producerProcess.StandardOutput.BaseStream.CopyToAsync(consumerProcess.StandardInput.BaseStream, CancellationToken.None).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The consumer closed its input early; its exit code below tells whether that was a failure.
            }
            finally
            {
                consumerProcess.StandardInput.Close();
            }

            await producerProcess.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            await consumerProcess.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            await consumerOutput.ConfigureAwait(false);
        }
        cancellationToken.ThrowIfCancellationRequested();
        if (producerProcess.ExitCode != 0 || consumerProcess.ExitCode != 0)
        {
            throw new HarnessException(
                $"`{producer.Display} | {consumer.Display}` failed (exit codes {producerProcess.ExitCode} and {consumerProcess.ExitCode}): " +
                $"{LastLines((await producerErrors.ConfigureAwait(false) + await consumerErrors.ConfigureAwait(false)).Trim(), 15)} {fix}");
        }
    }

    /// <summary>The last <paramref name="count"/> lines of <paramref name="text"/>.</summary>
    public static string LastLines(string text, int count)
    {
        var lines = text.Split('\n');
        return string.Join('\n', lines.Skip(Math.Max(0, lines.Length - count)));
    }

    /// <summary>Starts the process; stdin is a pipe, closed at once unless <paramref name="keepInputOpen"/> (no prompts, no tty).</summary>
    private Process Start(bool keepInputOpen = false)
    {
        var startInfo = new ProcessStartInfo(FileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = WorkingDirectory ?? string.Empty,
        };
        foreach (var argument in Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in Environment)
        {
            if (value is null)
            {
                startInfo.Environment.Remove(name);
            }
            else
            {
                startInfo.Environment[name] = value;
            }
        }

        Process process;
        try
        {
            process = Process.Start(startInfo)
                ?? throw new HarnessException($"Could not start `{Display}`.");
        }
        catch (Win32Exception e)
        {
            throw new HarnessException(
                $"Cannot run `{FileName}` ({e.Message}). Install the harness prerequisites with `sudo vm/install-deps.sh`.", e);
        }
        if (!keepInputOpen)
        {
            process.StandardInput.Close();
        }
        return process;
    }

    private async Task WaitAsync(Process process, CancellationToken cancellationToken)
    {
        await using (cancellationToken.Register(() => KillTree(process)).ConfigureAwait(false))
        {
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Kills the process and all of its children, ignoring a process that already exited.</summary>
    public static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    private static string Quote(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";
}
