// ProgressHeartbeat: while long work runs, reports a status line (elapsed time plus whatever the
// caller adds, e.g. compiled objects) every interval, so a silent 5-minute step is visibly alive.
using System.Diagnostics;

namespace LiveUpdate.VmHarness.Host;

public sealed class ProgressHeartbeat : IAsyncDisposable
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(15);

    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;
    private readonly Stopwatch stopwatch = Stopwatch.StartNew();

    /// <param name="status">Builds the line from the elapsed time; an empty line is not reported.</param>
    public ProgressHeartbeat(IProgress<string>? progress, Func<TimeSpan, string> status, TimeSpan? interval = null)
    {
        loop = progress is null ? Task.CompletedTask : RunAsync(progress, status, interval ?? DefaultInterval);
    }

    public TimeSpan Elapsed => stopwatch.Elapsed;

    private async Task RunAsync(IProgress<string> progress, Func<TimeSpan, string> status, TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false))
            {
                // An empty status skips this tick (nothing worth saying yet).
                if (status(stopwatch.Elapsed) is { Length: > 0 } line)
                {
                    progress.Report(line);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped by DisposeAsync.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await loop.ConfigureAwait(false);
        stop.Dispose();
    }
}
