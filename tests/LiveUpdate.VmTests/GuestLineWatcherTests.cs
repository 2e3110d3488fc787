// GuestLineWatcherTests: report lines reach the live observer as QEMU appends them — whole
// lines only, in order, each stamped no earlier than it was written, marks included.
using System.Diagnostics;
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness;
using LiveUpdate.VmHarness.Runs;

namespace LiveUpdate.VmTests;

public sealed class GuestLineWatcherTests
{
    [Fact]
    public async Task Lines_arrive_in_order_as_they_are_appended_with_the_host_time()
    {
        var path = Path.Combine(Path.GetTempPath(), $"watcher-{Guid.NewGuid():N}.jsonl");
        var seen = new List<ObservedGuestLine>();
        var clock = Stopwatch.StartNew();
        try
        {
            TimeSpan secondWrittenAt;
            await using (new GuestLineWatcher(path, clock, line => { lock (seen) seen.Add(line); }))
            {
                await File.AppendAllTextAsync(path, "{\"type\":\"mark\",\"name\":\"init\",\"hop\":1}\n{\"type\":\"step\",\"na");
                // Waits for the whole line, however loaded the host (a fixed 100 ms raced the poll),
                // then gives the watcher many polls in which it must hold the half-written one back.
                await UntilAsync(() => { lock (seen) return seen.Count >= 1; });
                await Task.Delay(GuestLineWatcher.PollInterval * 10);
                lock (seen) Assert.Single(seen);
                secondWrittenAt = clock.Elapsed;
                await File.AppendAllTextAsync(path, "me\":\"demo.load\",\"ok\":true,\"hop\":0}\r\n\0garbage\n");
                await UntilAsync(() => { lock (seen) return seen.Count >= 2; });
                await Task.Delay(GuestLineWatcher.PollInterval * 10);
            }
            Assert.Equal(2, seen.Count);
            Assert.Equal(("mark", "init", 1), (seen[0].Line.Type, seen[0].Line.Name, seen[0].Line.Hop));
            Assert.Equal(("step", "demo.load", true), (seen[1].Line.Type, seen[1].Line.Name, seen[1].Line.Ok));
            Assert.True(seen[1].At >= secondWrittenAt);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task UntilAsync(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition() && deadline.Elapsed < TimeSpan.FromSeconds(10))
            await Task.Delay(10);
    }

    [Fact]
    public void Mark_lines_are_not_problems_in_the_run_report()
    {
        var report = GuestReport.Parse("{\"type\":\"mark\",\"name\":\"init\",\"hop\":0}\n{\"type\":\"end\",\"ok\":true,\"hop\":0}\n");
        Assert.Empty(report.Problems);
        Assert.True(report.End!.Ok);
    }
}
