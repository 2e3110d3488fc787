// BlackoutBench (scenario "bench", `luvm bench`): the kexec half of the blackout benchmark, on
// a chain of one kernel. BenchPlan gives every hop its case; hop h ends case h − 1 and sets up
// case h:
//   floor      nothing preserved; the host times mark "reboot" (hop h) → mark "init" (hop h + 1);
//   ours       a memfd of the case's size, every 4 KiB page stamped, 4 KiB pages or shmem THP,
//              PRESERVE_FD into a session; next hop retrieves it, checks every stamp, marks
//              "restored" (data usable) and finishes — "reboot" → "restored" is the blackout;
//   luod(N)    N managed sessions × 10 stamped memfds through luod, kexec through luod; next hop
//              times luod start → all N claimed, checked and finished (one kernel, so the
//              guest's monotonic clock is right for this share);
//   luodpath   luod plus lucache holding the case's size through `luoctl update` (LuodPathBench);
//              lucache's pause → serving again in the next kernel is the blackout.
// The hop ends with mark "reboot" written right before reboot(LINUX_REBOOT_CMD_KEXEC). Step
// details are BenchDetail "key=value" words luvm reads back.
using System.Diagnostics;
using LiveUpdate.Client;
using LiveUpdate.Kernel;
using LiveUpdate.GuestContract;

namespace LiveUpdate.Guest.Scenarios;

public sealed class BlackoutBench(GuestPlan plan, ResultChannel results)
{
    public const string SessionName = "lu-bench";
    private const ulong Token = 1;
    private const int LuodFileBytes = PageStamps.PageSize;
    private const string CustodyRecord = "/run/luod/custody.json";

    /// <summary>The outgoing session and device stay open until the reboot (closing them would unpreserve).</summary>
    private static readonly List<IDisposable> HeldUntilReboot = [];

    private LuodProcess? _luod;
    private readonly LuodPathBench _luodPath = new(plan, results);

    public async Task<bool> RunAsync()
    {
        await results.MarkAsync(StepNames.Marks.Guest);
        var bench = BenchPlan.FromParameters(plan.CommandLine.Get);
        var cases = bench.KexecCases;
        if (plan.Chain.Count != cases.Count + 1)
        {
            await results.StepResultAsync(StepNames.Bench.Plan, false, 0,
                $"the chain has {plan.Chain.Count} kernels but the plan ({string.Join(' ', bench.Parameters)}) has {cases.Count} cases: it needs {cases.Count + 1}");
            return false;
        }

        if (!plan.IsFirstHop)
        {
            var previous = cases[plan.Hop - 1];
            bool ended = previous.Kind switch
            {
                BenchKind.Floor => await results.StepAsync(StepNames.Bench.Arrived, () => BenchDetail.Format(("case", previous.Id), ("run", previous.Run))),
                BenchKind.Memfd => await RestoreMemfdAsync(previous),
                BenchKind.Luod => await HandBackThroughLuodAsync(previous),
                BenchKind.LuodPath => await _luodPath.RestoreAsync(previous),
                _ => throw new InvalidOperationException($"{previous} does not belong in the kexec run"),
            };
            if (!ended) return false;
        }
        if (plan.IsLastHop)
        {
            if (_luod is not null) await StopLuodAsync();
            await _luodPath.StopAsync();
            return true;
        }

        var current = cases[plan.Hop];
        if (current.Kind != BenchKind.Luod && _luod is not null) await StopLuodAsync();
        await _luodPath.StopAsync();
        bool ready = current.Kind switch
        {
            BenchKind.Floor => await results.StepAsync(StepNames.Bench.Setup, () => BenchDetail.Format(("case", current.Id), ("run", current.Run))),
            BenchKind.Memfd => await PreserveMemfdAsync(current),
            BenchKind.Luod => await PreserveThroughLuodAsync(current),
            BenchKind.LuodPath => await _luodPath.SetUpAsync(current),
            _ => throw new InvalidOperationException($"{current} does not belong in the kexec run"),
        };
        if (!ready) return false;
        return current.Kind switch
        {
            BenchKind.Luod => await KexecThroughLuodAsync(current),
            BenchKind.LuodPath => await _luodPath.UpdateAsync(current),
            _ => await KexecAsync(current),
        };
    }

    private async Task<bool> PreserveMemfdAsync(BenchCase bench)
    {
        return await results.StepAsync(StepNames.Bench.Setup, () =>
        {
            ShmemHugePages.SetMode(bench.Mode);
            long hugeBefore = ShmemHugePages.Kib();
            var memfd = MemFd.Create(SessionName);
            var clock = Stopwatch.StartNew();
            PageStamps.Stamp(memfd, bench.Bytes, bench.Seed);
            double fillMs = clock.Elapsed.TotalMilliseconds;
            long hugeAfterFill = ShmemHugePages.Kib();

            var device = LiveUpdateDevice.Open();
            HeldUntilReboot.Add(device);
            var session = device.CreateSession(SessionName);
            HeldUntilReboot.Add(session);
            clock.Restart();
            session.Preserve(memfd, Token);
            double preserveMs = clock.Elapsed.TotalMilliseconds;
            memfd.Dispose(); // the session holds the file now
            return BenchDetail.Format(("case", bench.Id), ("run", bench.Run), ("bytes", bench.Bytes), ("mode", bench.Mode),
                ("policy", ShmemHugePages.Policy.Replace(' ', ',')), ("fillMs", fillMs), ("preserveMs", preserveMs),
                ("shmemHugeKib", hugeAfterFill - hugeBefore));
        });
    }

    private async Task<bool> RestoreMemfdAsync(BenchCase bench)
    {
        // Everything up to the "restored" mark is the blackout; the step's detail comes after it.
        string detail;
        var clock = Stopwatch.StartNew();
        try
        {
            long hugeBefore = ShmemHugePages.Kib();
            using var device = LiveUpdateDevice.Open();
            using var session = device.RetrieveSession(SessionName);
            using var memfd = session.RetrieveMemFd(Token);
            double retrieveMs = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            var (pages, bad, firstBad) = PageStamps.Verify(memfd, bench.Bytes, bench.Seed);
            double verifyMs = clock.Elapsed.TotalMilliseconds;
            if (bad > 0)
            {
                await results.StepResultAsync(StepNames.Bench.Restore, false, retrieveMs + verifyMs,
                    $"{bench}: {bad} of {pages} pages have the wrong stamp after the kexec; first: {firstBad}");
                return false;
            }
            await results.MarkAsync(StepNames.Marks.Restored, bench.Id);
            long hugeRestored = ShmemHugePages.Kib() - hugeBefore;
            clock.Restart();
            session.Finish();
            double finishMs = clock.Elapsed.TotalMilliseconds;
            detail = BenchDetail.Format(("case", bench.Id), ("run", bench.Run), ("bytes", bench.Bytes), ("pages", pages), ("badPages", bad),
                ("retrieveMs", retrieveMs), ("verifyMs", verifyMs), ("finishMs", finishMs), ("shmemHugeKib", hugeRestored));
        }
        catch (Exception ex)
        {
            await results.StepResultAsync(StepNames.Bench.Restore, false, clock.Elapsed.TotalMilliseconds, $"{bench}: {ex.GetType().Name}: {ex.Message}");
            return false;
        }
        await results.StepResultAsync(StepNames.Bench.Restore, true, 0, detail);
        return true;
    }

    private async Task<bool> PreserveThroughLuodAsync(BenchCase bench)
    {
        if (_luod is null && !await StartLuodAsync()) return false;
        return await results.StepAsync(StepNames.Bench.Setup, async () =>
        {
            await using var client = await LiveUpdateClient.ConnectAsync(LuodProcess.Socket);
            var clock = Stopwatch.StartNew();
            for (int s = 0; s < bench.Sessions; s++)
            {
                var session = await client.CreateManagedSessionAsync(LuodSessionName(s));
                for (int f = 0; f < BenchCase.FilesPerLuodSession; f++)
                {
                    using var memory = PreservedMemory.Create($"{LuodSessionName(s)}-f{f}", LuodFileBytes);
                    PageStamps.Stamp(memory.MemFd, LuodFileBytes, LuodFileSeed(bench, s, f));
                    await session.PreserveAsync($"f{f}", memory);
                }
            }
            return BenchDetail.Format(("case", bench.Id), ("run", bench.Run), ("sessions", bench.Sessions),
                ("files", bench.Sessions * BenchCase.FilesPerLuodSession), ("preserveMs", clock.Elapsed.TotalMilliseconds));
        });
    }

    private async Task<bool> HandBackThroughLuodAsync(BenchCase bench)
    {
        return await results.StepAsync(StepNames.Bench.Restore, async () =>
        {
            var clock = Stopwatch.StartNew();
            (_luod, var ready) = await LuodProcess.StartAsync("--OrphanGrace=00:30:00");
            await using var client = await LiveUpdateClient.ConnectAsync(LuodProcess.Socket);
            for (int s = 0; s < bench.Sessions; s++)
            {
                using var claimed = await client.ClaimManagedAsync(LuodSessionName(s));
                if (claimed.Files.Count != BenchCase.FilesPerLuodSession)
                    throw new InvalidOperationException($"{bench}: session {LuodSessionName(s)} came back with {claimed.Files.Count} files, expected {BenchCase.FilesPerLuodSession}");
                for (int f = 0; f < BenchCase.FilesPerLuodSession; f++)
                {
                    var (_, bad, firstBad) = PageStamps.Verify(claimed.Files[$"f{f}"], LuodFileBytes, LuodFileSeed(bench, s, f));
                    if (bad > 0) throw new InvalidOperationException($"{bench}: session {LuodSessionName(s)} file f{f} has the wrong stamp: {firstBad}");
                }
            }
            double claimedMs = clock.Elapsed.TotalMilliseconds;
            for (int s = 0; s < bench.Sessions; s++) await client.FinishAsync(LuodSessionName(s));
            double totalMs = clock.Elapsed.TotalMilliseconds;
            await results.MarkAsync(StepNames.Marks.Restored, bench.Id);
            return BenchDetail.Format(("case", bench.Id), ("run", bench.Run), ("sessions", bench.Sessions),
                ("files", bench.Sessions * BenchCase.FilesPerLuodSession), ("readyMs", ready.TotalMilliseconds),
                ("claimedMs", claimedMs), ("luodShareMs", totalMs));
        });
    }

    private async Task<bool> StartLuodAsync() =>
        await results.StepAsync(StepNames.Bench.LuodStart, async () =>
        {
            TimeSpan ready;
            (_luod, ready) = await LuodProcess.StartAsync("--OrphanGrace=00:30:00");
            return BenchDetail.Format(("readyMs", ready.TotalMilliseconds));
        });

    /// <summary>Stops luod so this process can open /dev/liveupdate itself; its record goes too (a fresh luod starts clean).</summary>
    private async Task StopLuodAsync()
    {
        await _luod!.KillAsync();
        _luod = null;
        File.Delete(CustodyRecord);
    }

    private async Task<bool> KexecAsync(BenchCase bench)
    {
        string kernelPath = $"/boot/{plan.NextTag}/bzImage";
        bool loaded = await results.StepAsync(StepNames.Bench.KexecLoad, async () =>
        {
            using var initrd = MemFd.Create("lu-next-initrd");
            long bytes = await NextKernelHop.CopyRetainedInitrdAsync(initrd.Write);
            using var kernel = File.OpenHandle(kernelPath);
            Kexec.Load(kernel, initrd, plan.NextHopCommandLine.ToString(), kernelPath);
            return $"loaded {kernelPath} + initrd ({bytes} bytes) for hop {plan.Hop + 1} ({bench})";
        });
        if (!loaded) return false;
        await results.MarkAsync(StepNames.Marks.Reboot, bench.Id);
        Kexec.RebootIntoLoadedKernel();
        await results.StepResultAsync(StepNames.Bench.Reboot, false, 0, $"{bench}: reboot(LINUX_REBOOT_CMD_KEXEC) returned");
        return false;
    }

    private async Task<bool> KexecThroughLuodAsync(BenchCase bench)
    {
        return await results.StepAsync(StepNames.Bench.LuodKexec, async () =>
        {
            string initrd = await LuodProcess.CopyInitrdForNextHopAsync();
            // luod loads the kernel before it reboots: for luod cases "reboot" → "init" includes the load.
            await results.MarkAsync(StepNames.Marks.Reboot, bench.Id);
            string output = await LuodProcess.LuoctlOkAsync("kexec", "--kernel", $"/boot/{plan.NextTag}/bzImage", "--initrd", initrd,
                "--append", plan.NextHopCommandLine.ToString());
            await Task.Delay(TimeSpan.FromSeconds(120));
            throw new TimeoutException($"{bench}: luod accepted the kexec ({output}) but the machine did not reboot within 120 s");
        });
    }

    private static string LuodSessionName(int session) => $"b{session}";

    private static ulong LuodFileSeed(BenchCase bench, int session, int file) => bench.Seed ^ (ulong)(session * 1000 + file + 1);
}
