// ResultChannel: the guest's side of the report — JSON lines written to the second
// serial port (/dev/ttyS1 → results.jsonl on the host), flushed line by line so a hang or
// panic after a step still leaves that step on the host. Also echoes to the console.
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using LiveUpdate.GuestContract;
using LiveUpdate.Kernel;

namespace LiveUpdate.Guest;

public sealed class ResultChannel : IAsyncDisposable
{
    private static readonly string[] KernelLogMarkers = ["KHO", "kho", "luo", "LUO", "liveupdate", "memfd", "kexec"];

    private readonly Stream _port;
    private readonly GuestPlan _plan;
    private readonly string _release;
    private long _kmsgSeen = -1;
    private bool _allOk = true;

    public ResultChannel(Stream port, GuestPlan plan, string release)
    {
        _port = port;
        _plan = plan;
        _release = release;
    }

    public bool AllOk => _allOk;

    public static ResultChannel Open(GuestPlan plan, string release, string path = "/dev/ttyS1") =>
        new(new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1, useAsync: false), plan, release);

    public Task BootAsync(double uptimeMs) =>
        WriteAsync(new GuestReportLine { Type = GuestReportLineTypes.Boot, Hop = _plan.Hop, Release = _release, UptimeMs = uptimeMs });

    /// <summary>Runs one step, timing it; an exception marks the step failed with its message.</summary>
    public async Task<bool> StepAsync(string name, Func<Task<string>> body)
    {
        var clock = Stopwatch.StartNew();
        string detail;
        bool ok;
        try
        {
            detail = await body();
            ok = true;
        }
        catch (Exception ex)
        {
            detail = $"{ex.GetType().Name}: {ex.Message}";
            ok = false;
        }
        await StepResultAsync(name, ok, clock.Elapsed.TotalMilliseconds, detail);
        return ok;
    }

    public Task<bool> StepAsync(string name, Func<string> body) => StepAsync(name, () => Task.FromResult(body()));

    public async Task StepResultAsync(string name, bool ok, double ms, string detail)
    {
        _allOk &= ok;
        await WriteAsync(new GuestReportLine
        {
            Type = GuestReportLineTypes.Step, Hop = _plan.Hop, Release = _release, Name = name, Ok = ok, Ms = Math.Round(ms, 3),
            Detail = detail, Kmsg = NewKernelLogLines(),
        });
    }

    /// <summary>
    /// A timing mark: the host stamps it with its own clock as it arrives (GuestLineWatcher), which
    /// times spans across a kexec or a cold reboot that no guest clock can. Write it right at the event.
    /// </summary>
    public Task MarkAsync(string name, string detail = "") =>
        WriteAsync(new GuestReportLine { Type = GuestReportLineTypes.Mark, Hop = _plan.Hop, Release = _release, Name = name, Detail = detail });

    public Task EndAsync(bool ok, string detail) =>
        WriteAsync(new GuestReportLine { Type = GuestReportLineTypes.End, Hop = _plan.Hop, Release = _release, Ok = ok && _allOk, Detail = detail });

    private List<string> NewKernelLogLines()
    {
        var lines = new List<string>();
        foreach (var record in KernelLog.ReadAll())
        {
            if (record.Sequence <= _kmsgSeen) continue;
            _kmsgSeen = record.Sequence;
            if (KernelLogMarkers.Any(m => record.Message.Contains(m, StringComparison.Ordinal)))
                lines.Add($"[{record.TimestampMicroseconds / 1e6:F6}] {record.Message}");
        }
        return lines.Count > 20 ? lines[^20..] : lines;
    }

    private async Task WriteAsync(GuestReportLine line)
    {
        string json = JsonSerializer.Serialize(line, GuestReportJsonContext.Default.GuestReportLine);
        byte[] bytes = Encoding.UTF8.GetBytes(json + "\n");
        // Marks may come from a background task (vm-update forwards the VM's ticks): one line at a time.
        await _writeGate.WaitAsync();
        try
        {
            await _port.WriteAsync(bytes);
            await _port.FlushAsync();
        }
        finally
        {
            _writeGate.Release();
        }
        Console.WriteLine($"lu-guest: {json}");
    }

    private readonly SemaphoreSlim _writeGate = new(1, 1);

    public ValueTask DisposeAsync() => _port.DisposeAsync();
}
