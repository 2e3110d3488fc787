// OldWayBench (scenario "bench-oldway", `luvm bench`): the old way the benchmark compares with —
// without live update, a service saves its memory to disk, the machine reboots cold, and the
// service reads it back. Hop h (on ext4 on the virtio disk /dev/vda the harness made): reload and
// check case h − 1's file into a memfd, mark "reloaded"; then stamp case h's memfd exactly as the
// kexec run does (4 KiB pages), mark "save-start", write it to a file and fsync, mark "saved",
// unmount, and return: lu-guest's Program ends the hop with a cold reboot (QEMU exits, the
// harness starts it again). The host times "save-start" → "reloaded" across both QEMU processes.
using System.Diagnostics;
using LiveUpdate.Kernel;
using LiveUpdate.GuestContract;

namespace LiveUpdate.Guest.Scenarios;

public sealed class OldWayBench(GuestPlan plan, ResultChannel results)
{
    public const string Disk = "/dev/vda";
    public const string MountPoint = "/mnt/bench";
    private static readonly string DataFile = Path.Combine(MountPoint, "state.bin");

    public async Task<bool> RunAsync()
    {
        await results.MarkAsync(StepNames.Marks.Guest);
        var bench = BenchPlan.FromParameters(plan.CommandLine.Get);
        var cases = bench.OldWayCases;
        if (plan.Chain.Count != cases.Count + 1)
        {
            await results.StepResultAsync(StepNames.Bench.Plan, false, 0,
                $"the chain has {plan.Chain.Count} kernels but the plan ({string.Join(' ', bench.Parameters)}) has {cases.Count} old-way cases: it needs {cases.Count + 1}");
            return false;
        }
        if (!plan.ColdReboot)
        {
            await results.StepResultAsync(StepNames.Bench.Plan, false, 0, "bench-oldway needs cold reboots between hops (lu.cold=1, VmRunRequest.ColdRebootBetweenHops)");
            return false;
        }

        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(MountPoint);
        await ShellAsync("mount", "-t", "ext4", Disk, MountPoint);
        double mountMs = clock.Elapsed.TotalMilliseconds;

        if (!plan.IsFirstHop && !await ReloadAsync(cases[plan.Hop - 1], mountMs)) return false;
        if (plan.IsLastHop)
        {
            await ShellAsync("umount", MountPoint);
            return true;
        }
        return await SaveAsync(cases[plan.Hop]);
    }

    private async Task<bool> ReloadAsync(BenchCase bench, double mountMs)
    {
        string detail;
        var clock = Stopwatch.StartNew();
        try
        {
            using var memfd = MemFd.Create("lu-bench-reload");
            using (var file = File.OpenHandle(DataFile, FileMode.Open, FileAccess.Read))
            {
                long length = RandomAccess.GetLength(file);
                if (length != bench.Bytes) throw new InvalidOperationException($"{DataFile} holds {length} bytes, expected {bench.Bytes}");
                memfd.SetSize(length);
                PageStamps.ForEachWindow(length, (offset, size) =>
                {
                    using var mapping = memfd.Map(offset, size, writable: true);
                    Span<byte> span = mapping.GetSpan();
                    for (int done = 0; done < size;)
                    {
                        int read = RandomAccess.Read(file, span[done..], offset + done);
                        if (read == 0) throw new EndOfStreamException($"{DataFile} ended at {offset + done} bytes");
                        done += read;
                    }
                });
            }
            double readMs = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            var (pages, bad, firstBad) = PageStamps.Verify(memfd, bench.Bytes, bench.Seed);
            double verifyMs = clock.Elapsed.TotalMilliseconds;
            if (bad > 0)
            {
                await results.StepResultAsync(StepNames.Bench.Reload, false, readMs + verifyMs,
                    $"{bench}: {bad} of {pages} pages have the wrong stamp after the cold reboot; first: {firstBad}");
                return false;
            }
            await results.MarkAsync(StepNames.Marks.Reloaded, bench.Id);
            detail = BenchDetail.Format(("case", bench.Id), ("run", bench.Run), ("bytes", bench.Bytes), ("pages", pages), ("badPages", bad),
                ("mountMs", mountMs), ("readMs", readMs), ("verifyMs", verifyMs));
        }
        catch (Exception ex)
        {
            await results.StepResultAsync(StepNames.Bench.Reload, false, clock.Elapsed.TotalMilliseconds, $"{bench}: {ex.GetType().Name}: {ex.Message}");
            return false;
        }
        File.Delete(DataFile);
        await results.StepResultAsync(StepNames.Bench.Reload, true, 0, detail);
        return true;
    }

    private async Task<bool> SaveAsync(BenchCase bench)
    {
        string detail;
        var clock = Stopwatch.StartNew();
        try
        {
            ShmemHugePages.SetMode("4k");
            using var memfd = MemFd.Create("lu-bench-state");
            PageStamps.Stamp(memfd, bench.Bytes, bench.Seed);
            double fillMs = clock.Elapsed.TotalMilliseconds;

            await results.MarkAsync(StepNames.Marks.SaveStart, bench.Id);
            clock.Restart();
            double writeMs;
            using (var file = File.OpenHandle(DataFile, FileMode.Create, FileAccess.Write))
            {
                PageStamps.ForEachWindow(bench.Bytes, (offset, size) =>
                {
                    using var mapping = memfd.Map(offset, size, writable: false);
                    RandomAccess.Write(file, mapping.GetSpan(), offset);
                });
                writeMs = clock.Elapsed.TotalMilliseconds;
                RandomAccess.FlushToDisk(file);
            }
            double fsyncMs = clock.Elapsed.TotalMilliseconds - writeMs;
            await results.MarkAsync(StepNames.Marks.Saved, bench.Id);
            clock.Restart();
            await ShellAsync("umount", MountPoint);
            detail = BenchDetail.Format(("case", bench.Id), ("run", bench.Run), ("bytes", bench.Bytes), ("fillMs", fillMs),
                ("writeMs", writeMs), ("fsyncMs", fsyncMs), ("umountMs", clock.Elapsed.TotalMilliseconds));
        }
        catch (Exception ex)
        {
            await results.StepResultAsync(StepNames.Bench.Save, false, clock.Elapsed.TotalMilliseconds, $"{bench}: {ex.GetType().Name}: {ex.Message}");
            return false;
        }
        await results.StepResultAsync(StepNames.Bench.Save, true, 0, detail);
        return true;
    }

    private static async Task ShellAsync(string program, params string[] arguments)
    {
        var outcome = await GuestCommand.RunAsync(program, arguments);
        if (outcome.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {outcome.ExitCode}: {outcome.Error.Trim()} {outcome.Output.Trim()}");
    }
}
