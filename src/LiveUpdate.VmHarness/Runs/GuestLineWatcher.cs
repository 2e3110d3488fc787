// GuestLineWatcher: follows results.jsonl while QEMU writes it and hands each new report line
// to an observer as it arrives, stamped with the host's monotonic clock. The host clock is
// the one clock that runs on unbroken across kexecs and cold reboots of the guest, so the
// stamps time what the guest cannot: reboot call → next kernel's init, a client's blackout.
// Polled every 10 ms: a stamp is late by at most that plus the serial port's latency.
using System.Diagnostics;
using System.Text;
using LiveUpdate.GuestContract;

namespace LiveUpdate.VmHarness.Runs;

/// <summary>One report line and when the host saw it (time since the run's clock started).</summary>
public sealed record ObservedGuestLine(TimeSpan At, GuestReportLine Line);

public sealed class GuestLineWatcher : IAsyncDisposable
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);

    private readonly string path;
    private readonly Stopwatch clock;
    private readonly Action<ObservedGuestLine> observer;
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;
    private readonly StringBuilder pending = new();
    private long offset;

    public GuestLineWatcher(string path, Stopwatch clock, Action<ObservedGuestLine> observer)
    {
        this.path = path;
        this.clock = clock;
        this.observer = observer;
        loop = Task.Run(() => FollowAsync(stop.Token));
    }

    private async Task FollowAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(PollInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                ReadNewLines();
            }
        }
        catch (OperationCanceledException)
        {
        }
        ReadNewLines();
    }

    private void ReadNewLines()
    {
        if (!File.Exists(path))
        {
            return;
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (stream.Length <= offset)
        {
            return;
        }
        stream.Seek(offset, SeekOrigin.Begin);
        var bytes = new byte[stream.Length - offset];
        stream.ReadExactly(bytes);
        offset += bytes.Length;
        var at = clock.Elapsed;
        pending.Append(Encoding.UTF8.GetString(bytes));
        var text = pending.ToString();
        var lastNewline = text.LastIndexOf('\n');
        if (lastNewline < 0)
        {
            return;
        }
        pending.Clear().Append(text[(lastNewline + 1)..]);
        foreach (var raw in text[..lastNewline].Split('\n'))
        {
            // A line that is not JSON is left to GuestReport, which lists it as a problem of the run.
            if (GuestReport.TryParseLine(raw, out var parsed, out _))
            {
                observer(new ObservedGuestLine(at, parsed));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        await loop.ConfigureAwait(false);
        stop.Dispose();
    }
}
