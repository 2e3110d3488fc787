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

    public static async Task ForwardAsync(ResultChannel results, string consoleLog, CancellationToken cancellationToken)
    {
        int sent = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var ticks = Read(consoleLog).Ticks;
                for (; sent < ticks.Count; sent++)
                    await results.MarkAsync(StepNames.VmUpdate.TickMark, $"tick={ticks[sent].Tick} uptime={ticks[sent].UptimeSeconds}");
                await Task.Delay(20, cancellationToken);
            }
        }
        catch (OperationCanceledException) { }
    }
}
