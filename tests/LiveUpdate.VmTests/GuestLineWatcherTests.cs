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
                await Task.Delay(100);
                lock (seen) Assert.Single(seen); // the half-written line is held back
                secondWrittenAt = clock.Elapsed;
                await File.AppendAllTextAsync(path, "me\":\"demo.load\",\"ok\":true,\"hop\":0}\r\n\0garbage\n");
                await Task.Delay(100);
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

    [Fact]
    public void Mark_lines_are_not_problems_in_the_run_report()
    {
        var report = GuestReport.Parse("{\"type\":\"mark\",\"name\":\"init\",\"hop\":0}\n{\"type\":\"end\",\"ok\":true,\"hop\":0}\n");
        Assert.Empty(report.Problems);
        Assert.True(report.End!.Ok);
    }
}
