// VmConsoleTicks: the small VM's console as the vm scenarios watch it (its log file, written by
// luqemu's console relay): wait for N ticks with a check of the seeded region, and forward every
// new tick to the host as a mark (the host stamps each on arrival, so the VM's heartbeat — and its
// silence across the update — is seen on the host's clock).
using System.Diagnostics;
using LiveUpdate.GuestContract;

namespace LiveUpdate.Guest.Scenarios;

public static class VmConsoleTicks
{
    public static VmGuestConsole Read(string consoleLog) => VmGuestConsole.Parse(File.Exists(consoleLog) ? File.ReadAllText(consoleLog) : "");

    /// <summary>Waits until the console shows <paramref name="count"/> ticks, one of them with a check of the seeded region.</summary>
    public static async Task<VmGuestConsole> WaitAsync(string consoleLog, int count, TimeSpan timeout, Func<string> diagnostics)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var console = Read(consoleLog);
            if (console.Ticks.Any(t => t.Check is not null) && console.Ticks.Count >= count) return console;
            if (clock.Elapsed > timeout) throw new TimeoutException($"the VM printed {console.Ticks.Count} of {count} ticks within {timeout.TotalSeconds:F0} s: {diagnostics()}");
            await Task.Delay(100);
        }
    }

    /// <remarks>
    /// In the next kernel this runs while luod and luqemu start, on the same 2 vCPUs: each poll reads
    /// only what the console log gained since the last one and parses only its complete lines, so its
    /// cost does not grow with the log.
    /// </remarks>
    public static async Task ForwardAsync(ResultChannel results, string consoleLog, CancellationToken cancellationToken)
    {
        long offset = 0;
        var pending = new List<byte>();
        var buffer = new byte[16 * 1024];
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (File.Exists(consoleLog))
                {
                    await using (var log = new FileStream(consoleLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
                    {
                        log.Seek(offset, SeekOrigin.Begin);
                        int read;
                        while ((read = await log.ReadAsync(buffer, cancellationToken)) > 0)
                        {
                            pending.AddRange(buffer.AsSpan(0, read));
                            offset += read;
                        }
                    }
                    int end = pending.LastIndexOf((byte)'\n');
                    if (end >= 0)
                    {
                        string complete = System.Text.Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(pending)[..(end + 1)]);
                        pending.RemoveRange(0, end + 1);
                        foreach (var tick in VmGuestConsole.Parse(complete).Ticks)
                            await results.MarkAsync(StepNames.VmUpdate.TickMark, $"tick={tick.Tick} uptime={tick.UptimeSeconds}");
                    }
                }
                await Task.Delay(20, cancellationToken);
            }
        }
        catch (OperationCanceledException) { }
    }
}
