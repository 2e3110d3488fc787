// FollowedProcess: a child process whose standard output is acted on line by line as it arrives
// (through a pipe, not a polled file), for the benchmark's luodpath case: lu-guest writes a timing
// mark the moment lucache prints "writes paused" or "serving on", or luoctl prints "rebooting".
// .NET's Console.Out flushes every line, so a mark trails the child's line by the pipe and one
// await, well under a millisecond. Standard error is collected; everything is kept for diagnostics.
using System.Diagnostics;

namespace LiveUpdate.Guest.Scenarios;

public sealed class FollowedProcess
{
    private readonly Process _process;
    private readonly Func<string, Task> _onLine;
    private readonly Lock _gate = new();
    private readonly List<string> _lines = [];
    private readonly List<(string Text, TaskCompletionSource<string> Seen)> _waiting = [];
    private readonly Task _stdout, _stderr;

    private FollowedProcess(Process process, Func<string, Task> onLine)
    {
        _process = process;
        _onLine = onLine;
        _stdout = FollowAsync(process.StandardOutput, act: true);
        _stderr = FollowAsync(process.StandardError, act: false);
    }

    public int Id => _process.Id;

    /// <summary>Starts <paramref name="start"/> (its streams are redirected here); <paramref name="onLine"/> runs for every stdout line, in order.</summary>
    public static FollowedProcess Start(ProcessStartInfo start, Func<string, Task> onLine)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        return new FollowedProcess(process, onLine);
    }

    /// <summary>Everything it printed so far (stdout and stderr, as they arrived), on one line.</summary>
    public string Transcript
    {
        get
        {
            lock (_gate) return string.Join(" | ", _lines);
        }
    }

    /// <summary>The first line containing <paramref name="text"/>; fails when the process exits first or after <paramref name="timeout"/>.</summary>
    public async Task<string> WaitForLineAsync(string text, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_lines.FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal)) is { } already) return already;
            _waiting.Add((text, seen));
        }
        var exited = _stdout.ContinueWith(_ => _process.WaitForExitAsync(), TaskScheduler.Default).Unwrap();
        var finished = await Task.WhenAny(seen.Task, exited, Task.Delay(timeout));
        if (finished == seen.Task) return await seen.Task;
        if (finished == exited && seen.Task.IsCompleted) return await seen.Task;
        string why = finished == exited ? $"exited with {_process.ExitCode}" : $"printed no such line within {timeout.TotalSeconds:F0} s";
        throw new InvalidOperationException($"{Path.GetFileName(_process.StartInfo.FileName)} {why} (waiting for '{text}'): {Transcript}");
    }

    /// <summary>Waits for the process to exit and for all its output; returns the exit code.</summary>
    public async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync();
        await Task.WhenAll(_stdout, _stderr);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL and wait (nothing of it is needed afterwards).</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited) _process.Kill();
        await _process.WaitForExitAsync();
    }

    private async Task FollowAsync(StreamReader reader, bool act)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            List<TaskCompletionSource<string>> matched = [];
            lock (_gate)
            {
                _lines.Add(line);
                foreach (var waiter in _waiting.Where(w => line.Contains(w.Text, StringComparison.Ordinal)).ToList())
                {
                    matched.Add(waiter.Seen);
                    _waiting.Remove(waiter);
                }
            }
            if (act)
            {
                try
                {
                    await _onLine(line);
                }
                catch (Exception error)
                {
                    // Keep draining the pipe (a full pipe would stall the child); the failure shows in the transcript.
                    lock (_gate) _lines.Add($"(lu-guest: acting on that line failed: {error.GetType().Name}: {error.Message})");
                }
            }
            foreach (var seen in matched) seen.TrySetResult(line);
        }
    }
}
