// CacheDemo (the main job, `luvm demo`): lucache, the sample memcached-like cache, keeps its
// items through `luoctl update` from one kernel to the next while a client on the host keeps
// reading from it. Before: luod, lucache serving on 0.0.0.0:11211 (the host reaches it through
// QEMU's port forward) as update participant "cache", N MiB of seeded items loaded; then it
// waits for the host's probe key, so the client is watching, and runs the update. After: luod
// restores, a new lucache claims and attaches the same arena and serves at once; every item is
// read back and checked, and `luoctl report` gives luod's view of the blackout.
// lu.demo.mib=N on the kernel command line sets N (default 64).
using System.Diagnostics;
using LiveUpdate.GuestContract;

namespace LiveUpdate.Guest.Scenarios;

public sealed class CacheDemo(GuestPlan plan, ResultChannel results)
{
    public const string Participant = "cache";
    public const int Port = 11211;
    private const string Lucache = "/opt/liveupdate/lucache";
    private const string ServeLog = "/run/lucache.log";
    private const ulong Seed = 7;

    private int Mib => int.TryParse(plan.CommandLine.Get(GuestCommandLineKeys.DemoMib), out int mib) && mib > 0 ? mib : 64;

    public async Task<bool> RunAsync()
    {
        if (!await results.StepAsync(StepNames.CacheDemo.LuodStart, async () =>
            {
                var (luod, ready) = await LuodProcess.StartAsync("--OrphanGrace=00:10:00");
                return $"luod pid {luod.Process.Id} ready in {ready.TotalMilliseconds:F0} ms";
            }))
            return false;
        if (!await results.StepAsync(StepNames.CacheDemo.CacheStart, StartCacheAsync))
            return false;
        return plan.IsFirstHop ? await BeforeAsync() : await AfterAsync();
    }

    private async Task<string> StartCacheAsync()
    {
        var clock = Stopwatch.StartNew();
        // Arena: the items plus per-record headers and room to spare.
        int arenaMib = Mib + Mib / 4 + 16;
        var start = new ProcessStartInfo("/bin/sh", ["-c",
            $"exec {Lucache} serve --listen 0.0.0.0 --port {Port} --arena-mib {arenaMib} --luod-session {Participant} >{ServeLog} 2>&1"]);
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start lucache");
        while (!File.Exists(ServeLog) || !File.ReadAllText(ServeLog).Contains("taking part in live updates", StringComparison.Ordinal))
        {
            if (process.HasExited) throw new InvalidOperationException($"lucache exited with {process.ExitCode}: {ReadLog()}");
            if (clock.Elapsed > TimeSpan.FromSeconds(120)) throw new TimeoutException($"lucache did not subscribe within 120 s: {ReadLog()}");
            await Task.Delay(20);
        }
        return $"lucache pid {process.Id} serving after {clock.Elapsed.TotalMilliseconds:F0} ms: {ReadLog()}";
    }

    private async Task<bool> BeforeAsync()
    {
        if (!await results.StepAsync(StepNames.CacheDemo.Load, () => GuestCommand.LucacheAsync("load", "--port", Port.ToString(), "--mib", Mib.ToString(), "--seed", Seed.ToString())))
            return false;
        if (!await results.StepAsync(StepNames.CacheDemo.ClientWatching, async () =>
            {
                var clock = Stopwatch.StartNew();
                while (await LocalCacheRequests.GetAsync("lucache:probe", Port) is null)
                {
                    if (clock.Elapsed > TimeSpan.FromSeconds(120)) throw new TimeoutException("no client set lucache:probe within 120 s (is the host's probe connected?)");
                    await Task.Delay(100);
                }
                // A few seconds of normal service first, so the client's gap is measured against steady replies.
                await Task.Delay(TimeSpan.FromSeconds(3));
                return $"the host's probe is reading (seen after {clock.Elapsed.TotalSeconds:F1} s)";
            }))
            return false;
        return await results.StepAsync(StepNames.CacheDemo.Update, async () =>
        {
            await LuodProcess.UpdateThroughLuodAsync(plan, results, () => $"lucache: {ReadLog()}");
            return "";
        });
    }

    private async Task<bool> AfterAsync()
    {
        bool ok = await results.StepAsync(StepNames.CacheDemo.Verify, () => GuestCommand.LucacheAsync("verify", "--port", Port.ToString(), "--mib", Mib.ToString(), "--seed", Seed.ToString()));
        ok &= await UpdateReportSteps.RunAsync(results, StepNames.CacheDemo.Prefix, [Participant]);
        // The host's probe keeps reading a little longer, so its last replies are after the check.
        await Task.Delay(TimeSpan.FromSeconds(2));
        return ok;
    }

    private static string ReadLog() => File.Exists(ServeLog) ? File.ReadAllText(ServeLog).Trim().Replace('\n', ' ') : "(no log)";
}
