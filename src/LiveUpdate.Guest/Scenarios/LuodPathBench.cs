// LuodPathBench: the benchmark's luodpath case (BenchKind.LuodPath), the path users take: luod
// plus a participant, lucache holding N MiB, through `luoctl update` (as the cache demo does it).
//   setup hop    shmem policy for the page mode; a fresh luod; `lucache serve --luod-session cache`
//                with the N MiB preloaded in process (the arena memfd is preserved through luod);
//                then `luoctl update` into the same kernel: check, stage, prepare, freeze, reboot.
//   next hop     luod starts and restores; a new lucache claims and attaches the same arena and
//                serves; it tells luod it resumed; then every item is checked with `lucache verify
//                --in-server` (the server compares each generated item with its arena in process; the
//                TCP verify runs at ≈ 2 MiB/s under TCG, minutes per GiB).
// lucache pauses writes at prepare (gets go on until the kexec stops the machine): prepare is where
// a client first sees the cache refuse service, and where luod's own report starts the blackout,
// so the case's blackout is mark "paused" (lucache's "writes paused" line) → mark "serving"
// (lucache's "serving on" line in the next kernel). lu-guest reads lucache's and luoctl's stdout
// through pipes (FollowedProcess) and writes each mark as the line arrives. Also marked: "frozen"
// (freeze acknowledged), "reboot" (luoctl's "rebooting" line; it can lose the race with the kexec),
// "luod-start", "luod-serving", "claimed" and "resumed". luod's share is timed on the guest's clock
// (one kernel): luod start → serving, and luod start → every session (lucache's) claimed.
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using LiveUpdate.GuestContract;

namespace LiveUpdate.Guest.Scenarios;

public sealed partial class LuodPathBench(GuestPlan plan, ResultChannel results)
{
    public const string Participant = "cache";
    private const int Port = 11211;
    private const string Lucache = "/opt/liveupdate/lucache";
    private const string Luoctl = "/opt/liveupdate/luoctl";
    private const string CustodyRecord = "/run/luod/custody.json";
    private const string LuodOptions = "--OrphanGrace=00:30:00";

    /// <summary>Marks come from the followers of two processes at once; the result port takes one line at a time.</summary>
    private readonly SemaphoreSlim _markGate = new(1, 1);

    private LuodProcess? _luod;
    private FollowedProcess? _lucache;

    /// <summary>luod, a fresh lucache and its N MiB: everything the update will carry.</summary>
    public Task<bool> SetUpAsync(BenchCase bench) =>
        results.StepAsync(StepNames.Bench.Setup, async () =>
        {
            ShmemHugePages.SetMode(bench.Mode);
            long hugeBefore = ShmemHugePages.Kib();
            TimeSpan ready;
            (_luod, ready) = await LuodProcess.StartAsync(LuodOptions);
            var clock = Stopwatch.StartNew();
            _lucache = StartLucache(bench, preload: true, line => OnLineBeforeUpdateAsync(bench, line));
            string preloaded = await _lucache.WaitForLineAsync("lucache: preloaded", TimeSpan.FromSeconds(180 + bench.SizeMiB * 0.6));
            await _lucache.WaitForLineAsync("taking part in live updates", TimeSpan.FromSeconds(120));
            double startMs = clock.Elapsed.TotalMilliseconds;
            long hugeAfterFill = ShmemHugePages.Kib() - hugeBefore;
            var fill = PreloadedLine().Match(preloaded);
            if (!fill.Success) throw new InvalidOperationException($"{bench}: lucache's preload line is not understood: {preloaded}");
            return BenchDetail.Format(("case", bench.Id), ("run", bench.Run), ("bytes", bench.Bytes), ("mode", bench.Mode),
                ("policy", ShmemHugePages.Policy.Replace(' ', ',')), ("arenaKib", bench.LucacheArenaMib * 1024L), ("items", Number(fill, "items")),
                ("writeOffset", Number(fill, "offset")), ("fillMs", Number(fill, "ms")), ("lucacheStartMs", startMs),
                ("luodReadyMs", ready.TotalMilliseconds), ("shmemHugeKib", hugeAfterFill));
        });

    /// <summary>`luoctl update` into the next kernel of the chain; returns only when the machine did not go down.</summary>
    public Task<bool> UpdateAsync(BenchCase bench) =>
        results.StepAsync(StepNames.Bench.LuodPathUpdate, async () =>
        {
            string initrd = await LuodProcess.CopyInitrdForNextHopAsync();
            var start = new ProcessStartInfo(Luoctl, ["update", "--kernel", $"/boot/{plan.NextTag}/bzImage", "--initrd", initrd,
                "--append", plan.NextHopCommandLine.ToString(), "--timeout", "60"]);
            start.Environment["LUOD_SOCKET"] = LuodProcess.Socket;
            var luoctl = FollowedProcess.Start(start, async line =>
            {
                if (RebootingLine().IsMatch(line)) await MarkAsync(StepNames.Marks.Reboot, bench.Id);
            });
            int code = await luoctl.WaitForExitAsync();
            // luoctl returns only when the update failed, or when its connection dropped as the machine went down.
            await Task.Delay(TimeSpan.FromSeconds(code == 0 ? 60 : 5));
            throw new InvalidOperationException($"{bench}: luoctl update exited {code} without a reboot: {luoctl.Transcript}; lucache: {_lucache?.Transcript}");
        });

    /// <summary>In the next kernel: luod restores, a new lucache claims, attaches and serves, then every item is checked.</summary>
    public async Task<bool> RestoreAsync(BenchCase bench)
    {
        // Everything up to the "serving" mark is the blackout; the checks and the step's detail come after it.
        string detail;
        var clock = Stopwatch.StartNew();
        try
        {
            long hugeBefore = ShmemHugePages.Kib();
            double? claimedMs = null, servingMs = null;
            await MarkAsync(StepNames.Marks.LuodStart, bench.Id);
            clock.Restart();
            (_luod, var ready) = await LuodProcess.StartAsync(LuodOptions);
            await MarkAsync(StepNames.Marks.LuodServing, bench.Id);
            _lucache = StartLucache(bench, preload: false, async line =>
            {
                if (line.StartsWith("lucache: claimed session", StringComparison.Ordinal))
                {
                    claimedMs = clock.Elapsed.TotalMilliseconds;
                    await MarkAsync(StepNames.Marks.Claimed, bench.Id);
                }
                else if (line.StartsWith("lucache: serving on", StringComparison.Ordinal))
                {
                    servingMs = clock.Elapsed.TotalMilliseconds;
                    await MarkAsync(StepNames.Marks.Serving, bench.Id);
                }
                else if (line.Contains("told luod the cache serves again", StringComparison.Ordinal))
                {
                    await MarkAsync(StepNames.Marks.Resumed, bench.Id);
                }
            });
            string attached = await _lucache.WaitForLineAsync("lucache: attached restored arena", TimeSpan.FromSeconds(300));
            await _lucache.WaitForLineAsync("re-preserved in a new session", TimeSpan.FromSeconds(300));
            long hugeRestored = ShmemHugePages.Kib() - hugeBefore;

            var verifyClock = Stopwatch.StartNew();
            // Exits non-zero (and so fails the step and the run) when one item is missing or wrong.
            string verified = await GuestCommand.LucacheAsync("verify", "--port", Port.ToString(CultureInfo.InvariantCulture),
                "--mib", bench.SizeMiB.ToString(CultureInfo.InvariantCulture), "--seed", bench.LucacheSeed.ToString(CultureInfo.InvariantCulture), "--in-server");
            double verifyMs = verifyClock.Elapsed.TotalMilliseconds;
            var counts = VerifyLine().Match(verified);
            var attach = AttachedLine().Match(attached);
            if (!counts.Success) throw new InvalidOperationException($"{bench}: lucache verify's summary is not understood: {verified}");
            if (Number(counts, "missing") + Number(counts, "wrong") > 0 || Number(counts, "verified") != Number(counts, "items"))
                throw new InvalidOperationException($"{bench}: not every item came back: {verified}");
            List<(string, object)> pairs =
            [
                ("case", bench.Id), ("run", bench.Run), ("bytes", bench.Bytes), ("items", Number(counts, "items")),
                ("verifiedItems", Number(counts, "verified")), ("missingItems", Number(counts, "missing")), ("wrongItems", Number(counts, "wrong")),
                ("luodReadyMs", ready.TotalMilliseconds), ("verifyMs", verifyMs), ("shmemHugeKib", hugeRestored),
            ];
            if (claimedMs is { } claimed) pairs.Add(("luodClaimedMs", claimed));
            if (servingMs is { } serving) pairs.Add(("luodToServingMs", serving));
            if (attach.Success) pairs.AddRange([("attachedItems", Number(attach, "items")), ("scanMs", Number(attach, "scan"))]);
            detail = BenchDetail.Format([.. pairs]);
        }
        catch (Exception ex)
        {
            await results.StepResultAsync(StepNames.Bench.Restore, false, clock.Elapsed.TotalMilliseconds,
                $"{bench}: {ex.GetType().Name}: {ex.Message}; lucache: {_lucache?.Transcript ?? "(not started)"}");
            return false;
        }
        await results.StepResultAsync(StepNames.Bench.Restore, true, 0, detail);
        return true;
    }

    /// <summary>Stops lucache and luod of this case (their sessions and arena go with them) so the next case starts clean.</summary>
    public async Task StopAsync()
    {
        if (_lucache is not null) await _lucache.KillAsync();
        _lucache = null;
        if (_luod is not null)
        {
            await _luod.KillAsync();
            File.Delete(CustodyRecord);
        }
        _luod = null;
    }

    private async Task OnLineBeforeUpdateAsync(BenchCase bench, string line)
    {
        // CacheUpdateParticipant: "lucache: update U: writes paused (gets still served)", then "...: arena frozen with N items, ...".
        if (line.Contains(": writes paused", StringComparison.Ordinal)) await MarkAsync(StepNames.Marks.Paused, bench.Id);
        else if (line.Contains(": arena frozen with", StringComparison.Ordinal)) await MarkAsync(StepNames.Marks.Frozen, bench.Id);
    }

    private static FollowedProcess StartLucache(BenchCase bench, bool preload, Func<string, Task> onLine)
    {
        string I(long value) => value.ToString(CultureInfo.InvariantCulture);
        List<string> arguments = ["serve", "--listen", "127.0.0.1", "--port", I(Port), "--arena-mib", I(bench.LucacheArenaMib), "--luod-session", Participant];
        if (preload) arguments.AddRange(["--preload-mib", I(bench.SizeMiB), "--seed", I(bench.LucacheSeed)]);
        return FollowedProcess.Start(new ProcessStartInfo(Lucache, arguments), onLine);
    }

    private async Task MarkAsync(string name, string detail)
    {
        await _markGate.WaitAsync();
        try
        {
            await results.MarkAsync(name, detail);
        }
        finally
        {
            _markGate.Release();
        }
    }

    private static double Number(Match match, string group) =>
        double.Parse(match.Groups[group].Value, NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>lucache: "lucache: preloaded 7707 items, 16.0 MiB of values, write offset 17271296, in 812 ms".</summary>
    [GeneratedRegex(@"preloaded (?<items>\d+) items, .* write offset (?<offset>\d+), in (?<ms>\d+) ms")]
    private static partial Regex PreloadedLine();

    /// <summary>lucache verify: "verify: 7707 items: 7707 verified, 0 missing, 0 wrong (12.34 s)".</summary>
    [GeneratedRegex(@"verify: (?<items>\d+) items: (?<verified>\d+) verified, (?<missing>\d+) missing, (?<wrong>\d+) wrong")]
    private static partial Regex VerifyLine();

    /// <summary>lucache: "attached restored arena of 33 MiB from session 'cache': 7707 items, ..., scan 12.3 ms, ...".</summary>
    [GeneratedRegex(@"attached restored arena .*: (?<items>\d+) items, .*scan (?<scan>[\d.]+) ms")]
    private static partial Regex AttachedLine();

    /// <summary>luoctl update's progress line for the reboot: "[ 12.34 s] rebooting rebooting into 7.3.4".</summary>
    [GeneratedRegex(@"^\[\s*[\d.]+ s\] rebooting\b")]
    private static partial Regex RebootingLine();
}
