// CriuMemcached (scenario "criu-memcached", issue 16): an unmodified program — Debian sid's
// memcached — keeps its items across the kernel change by checkpoint/restore with Debian sid's
// criu 4.x. Both need sid's libc and a root that is really "/" (criu refuses a chroot whose mounts
// lie outside it, and a program started through sid's ld.so cannot be restored: its exe is still
// mapped), so /init switches to the Debian root on /dev/vda and lu-guest runs there as this hop
// (lu.root-init=lu-guest; the harness's CriuRoot). The host is the client: it loads N MiB of
// seeded items through QEMU's port forward, probes the cache all along, and after the update reads
// every item back; it tells the guest through the cache itself (CriuWays.LoadedKey, VerifiedKey).
// lu.criu.way picks how the cache crosses:
//   memory  — luod and lucriu: at freeze lucriu runs `criu dump --leave-stopped` into tmpfs and
//             copies the images into memfds luod preserves; `luoctl update` kexecs; in the next
//             kernel `lucriu restore` claims them, copies them back and runs `criu restore`.
//   disk    — the old way: `criu dump` onto an ext4 virtio disk (/dev/vdb) + sync, cold reboot,
//             `criu restore` from the disk.
//   lucache — for comparison, the zero-copy arena: lucache (preloaded with the same items) through
//             luod and `luoctl update`; in the next kernel it maps the same memfd.
// Marks criu-memcached.paused / .serving bracket the blackout on the host's clock; luod's report
// gives its own figure for memory and lucache. lu.criu.mib=N sets N (default 16).
using System.Diagnostics;
using System.Globalization;
using LiveUpdate.GuestContract;

namespace LiveUpdate.Guest.Scenarios;

public sealed class CriuMemcached(GuestPlan plan, ResultChannel results)
{
    private const string Criu = "/usr/sbin/criu";
    private const string Memcached = "/usr/bin/memcached";
    private const string Busybox = "/opt/liveupdate/busybox";
    private const string Lucriu = "/opt/liveupdate/lucriu";
    private const string Lucache = "/opt/liveupdate/lucache";
    private const string DataDisk = "/dev/vdb";
    private const string DiskMount = "/mnt/criu-disk";
    private const string DiskImages = DiskMount + "/images";
    /// <summary>lucriu's work directory: tmpfs (/run), as its README asks.</summary>
    private const string LucriuWork = "/run/lucriu/" + CriuWays.MemcachedParticipant;

    /// <summary>
    /// criu options for memcached: connections the host's clients had open are not kept (the
    /// clients reconnect; their host side is QEMU's, which the kexec cuts anyway).
    /// </summary>
    private static readonly string[] CriuOptions = ["--tcp-close"];

    private int Mib => int.TryParse(plan.CommandLine.Get(GuestCommandLineKeys.CriuMib), out int mib) && mib > 0 ? mib : 16;

    private string Way => plan.CommandLine.Get(GuestCommandLineKeys.CriuWay) is { Length: > 0 } way ? way : CriuWays.Memory;

    public async Task<bool> RunAsync()
    {
        if (!CriuWays.All.Contains(Way))
        {
            await results.StepResultAsync(StepNames.CriuMemcached.Root, false, 0, $"lu.criu.way={Way}: not one of {string.Join(", ", CriuWays.All)}");
            return false;
        }
        // After the kexec the root is described only once the cache serves again: its two execs
        // (160–360 ms under TCG) would otherwise sit on every way's blackout path.
        if (plan.IsFirstHop && !await results.StepAsync(StepNames.CriuMemcached.Root, DescribeRootAsync))
            return false;
        if (Way != CriuWays.Disk && !await results.StepAsync(StepNames.CriuMemcached.LuodStart, async () =>
            {
                var (luod, ready) = await LuodProcess.StartAsync("--OrphanGrace=00:10:00");
                return $"luod pid {luod.Process.Id} ready in {ready.TotalMilliseconds:F0} ms";
            }))
            return false;
        return plan.IsFirstHop ? await BeforeAsync() : await AfterAsync();
    }

    // ---------------------------------------------------------------- before the update

    private async Task<bool> BeforeAsync()
    {
        int pid = 0;
        FollowedProcess? lucache = null;
        if (!await results.StepAsync(StepNames.CriuMemcached.CacheStart, async () =>
            {
                if (Way == CriuWays.Lucache)
                {
                    lucache = await StartLucacheAsync(preload: true);
                    return $"lucache pid {lucache.Id}, {Mib} MiB of items preloaded: {lucache.Transcript}";
                }
                string detail;
                (pid, detail) = await StartMemcachedAsync();
                return detail;
            }))
            return false;
        if (!await results.StepAsync(StepNames.CriuMemcached.Loaded, WaitForLoadAsync))
            return false;
        if (Way == CriuWays.Disk)
            return await results.StepAsync(StepNames.CriuMemcached.Dump, () => DumpToDiskAsync(pid));

        FollowedProcess? participant = lucache;
        if (Way == CriuWays.Memory && !await results.StepAsync(StepNames.CriuMemcached.ParticipantStart, async () =>
            {
                participant = await StartLucriuKeepAsync(pid);
                return participant.Transcript;
            }))
            return false;
        return await results.StepAsync(StepNames.CriuMemcached.Update, async () =>
        {
            await LuodProcess.UpdateThroughLuodAsync(plan, results, () => participant?.Transcript ?? "");
            return "";
        });
    }

    private async Task<(int Pid, string Detail)> StartMemcachedAsync()
    {
        // criu restores the same PIDs (process and threads): start memcached far above where the
        // next boot's own processes land.
        await File.WriteAllTextAsync("/proc/sys/kernel/ns_last_pid", "10000");
        // Room for the items: memcached's slab classes (factor 1.25) waste ≈ 12 % on these
        // 256..4096-byte values, plus item headers and keys.
        int memoryMib = Mib * 3 / 2 + 64;
        var start = new ProcessStartInfo(Busybox, ["setsid", Memcached, "-u", "root", "-l", "0.0.0.0", "-p", CriuWays.Port.ToString(CultureInfo.InvariantCulture),
            "-U", "0", "-m", memoryMib.ToString(CultureInfo.InvariantCulture), "-t", "2", "-c", "256"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using (var launcher = Process.Start(start) ?? throw new InvalidOperationException("could not start memcached"))
        {
            launcher.StandardInput.Close();
        }
        var clock = Stopwatch.StartNew();
        while (!await LocalCacheRequests.AcceptsAsync())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException("memcached did not listen on port 11211 within 60 s");
            await Task.Delay(50);
        }
        int pid = FindPid(Memcached) ?? throw new InvalidOperationException("memcached serves but its process was not found in /proc");
        return (pid, $"memcached pid {pid} (-m {memoryMib}) serving after {clock.Elapsed.TotalMilliseconds:F0} ms; {Describe(pid)}");
    }

    private async Task<FollowedProcess> StartLucacheAsync(bool preload)
    {
        int arenaMib = Mib + Mib / 4 + 16;
        string[] arguments = ["serve", "--listen", "0.0.0.0", "--port", CriuWays.Port.ToString(CultureInfo.InvariantCulture),
            "--arena-mib", arenaMib.ToString(CultureInfo.InvariantCulture), "--luod-session", CriuWays.LucacheParticipant,
            .. preload ? new[] { "--preload-mib", Mib.ToString(CultureInfo.InvariantCulture), "--seed", CriuWays.Seed.ToString(CultureInfo.InvariantCulture) } : []];
        var lucache = FollowedProcess.Start(new ProcessStartInfo(Lucache, arguments), async line =>
        {
            if (line.Contains("writes paused", StringComparison.Ordinal)) await results.MarkAsync(StepNames.CriuMemcached.PausedMark, line);
            else if (line.Contains("serving on", StringComparison.Ordinal) && !plan.IsFirstHop) await results.MarkAsync(StepNames.CriuMemcached.ServingMark, line);
        });
        await lucache.WaitForLineAsync("taking part in live updates", TimeSpan.FromSeconds(Math.Max(120, Mib / 2)));
        return lucache;
    }

    private async Task<string> WaitForLoadAsync()
    {
        var clock = Stopwatch.StartNew();
        var limit = TimeSpan.FromSeconds(300 + Mib);
        string? loaded;
        while ((loaded = await LocalCacheRequests.GetAsync(CriuWays.LoadedKey)) is null)
        {
            if (clock.Elapsed > limit) throw new TimeoutException($"the host set no {CriuWays.LoadedKey} within {limit.TotalSeconds:F0} s (is its client connected through the port forward?)");
            await Task.Delay(250);
        }
        // A few seconds of normal service, so the host's probe measures its gap against steady replies.
        await Task.Delay(TimeSpan.FromSeconds(3));
        return $"the host loaded {loaded} items (seen after {clock.Elapsed.TotalSeconds:F1} s); {await LocalCacheRequests.StatsAsync()}";
    }

    private async Task<FollowedProcess> StartLucriuKeepAsync(int pid)
    {
        string[] arguments = ["keep", "--name", CriuWays.MemcachedParticipant, "--pid", pid.ToString(CultureInfo.InvariantCulture),
            "--criu", Criu, "--work", LucriuWork, .. CriuOptions.SelectMany(o => new[] { "--criu-arg", o })];
        var lucriu = FollowedProcess.Start(new ProcessStartInfo(Lucriu, arguments), async line =>
        {
            if (line.Contains(LucriuLines.Dumping, StringComparison.Ordinal)) await results.MarkAsync(StepNames.CriuMemcached.PausedMark, line);
        });
        await lucriu.WaitForLineAsync(LucriuLines.Subscribed, TimeSpan.FromSeconds(60));
        return lucriu;
    }

    private async Task<string> DumpToDiskAsync(int pid)
    {
        await MountDataDiskAsync();
        if (Directory.Exists(DiskImages)) Directory.Delete(DiskImages, recursive: true);
        Directory.CreateDirectory(DiskImages);
        var clock = Stopwatch.StartNew();
        await results.MarkAsync(StepNames.CriuMemcached.PausedMark, "criu dump starts");
        var dump = await GuestCommand.RunAsync(Criu, ["dump", "-t", pid.ToString(CultureInfo.InvariantCulture), "-D", DiskImages, "-o", "dump.log", "-v2", .. CriuOptions]);
        double dumpMs = clock.Elapsed.TotalMilliseconds;
        if (dump.ExitCode != 0)
            throw new InvalidOperationException($"criu dump exited {dump.ExitCode}: {dump.Combined.Trim()}\n{Tail(Path.Combine(DiskImages, "dump.log"), 20)}");
        await GuestCommand.RunAsync(Busybox, "sync");
        double syncMs = clock.Elapsed.TotalMilliseconds - dumpMs;
        long bytes = Directory.EnumerateFiles(DiskImages).Sum(f => new FileInfo(f).Length);
        return string.Create(CultureInfo.InvariantCulture,
            $"dump: {dumpMs:F0} ms; sync: {syncMs:F0} ms; images {Directory.EnumerateFiles(DiskImages, "*.img").Count()} files, {bytes / 1048576.0:F1} MiB on {DataDisk}");
    }

    // ---------------------------------------------------------------- after the update

    private async Task<bool> AfterAsync()
    {
        FollowedProcess? lucache = null;
        if (!await results.StepAsync(StepNames.CriuMemcached.Restore, async () =>
            {
                switch (Way)
                {
                    case CriuWays.Lucache:
                        lucache = await StartLucacheAsync(preload: false);
                        await lucache.WaitForLineAsync("serving on", TimeSpan.FromSeconds(120));
                        return lucache.Transcript;
                    case CriuWays.Memory:
                        return await RestoreThroughLucriuAsync();
                    default:
                        return await RestoreFromDiskAsync();
                }
            }))
            return false;
        bool ok = await results.StepAsync(StepNames.CriuMemcached.Verify, WaitForVerifyAsync);
        ok &= await results.StepAsync(StepNames.CriuMemcached.Root, DescribeRootAsync);
        if (Way != CriuWays.Disk)
            ok &= await UpdateReportSteps.RunAsync(results, StepNames.CriuMemcached.Prefix, [Way == CriuWays.Memory ? CriuWays.MemcachedParticipant : CriuWays.LucacheParticipant]);
        // The host's probe keeps reading a little longer, so its last replies come after the check.
        await Task.Delay(TimeSpan.FromSeconds(2));
        return ok;
    }

    private async Task<string> RestoreThroughLucriuAsync()
    {
        var restore = await GuestCommand.RunAsync(Lucriu, ["restore", "--name", CriuWays.MemcachedParticipant, "--criu", Criu, "--work", LucriuWork,
            .. CriuOptions.SelectMany(o => new[] { "--criu-arg", o })]);
        if (restore.ExitCode != 0)
            throw new InvalidOperationException($"lucriu restore exited {restore.ExitCode}: {restore.Combined.Trim()}");
        await results.MarkAsync(StepNames.CriuMemcached.ServingMark, "lucriu restore returned");
        int? pid = FindPid(Memcached);
        return $"{restore.Combined.Trim()}\nmemcached pid {pid?.ToString(CultureInfo.InvariantCulture) ?? "(not found)"}{(pid is { } p ? "; " + Describe(p) : "")}";
    }

    private async Task<string> RestoreFromDiskAsync()
    {
        await MountDataDiskAsync();
        var clock = Stopwatch.StartNew();
        var restore = await GuestCommand.RunAsync(Criu, ["restore", "-D", DiskImages, "-d", "-o", "restore.log", "-v2", .. CriuOptions]);
        if (restore.ExitCode != 0)
            throw new InvalidOperationException($"criu restore exited {restore.ExitCode}: {restore.Combined.Trim()}\n{Tail(Path.Combine(DiskImages, "restore.log"), 20)}");
        await results.MarkAsync(StepNames.CriuMemcached.ServingMark, "criu restore returned");
        return string.Create(CultureInfo.InvariantCulture, $"restore: {clock.Elapsed.TotalMilliseconds:F0} ms; memcached pid {FindPid(Memcached)}");
    }

    private async Task<string> WaitForVerifyAsync()
    {
        var clock = Stopwatch.StartNew();
        var limit = TimeSpan.FromSeconds(300 + Mib);
        string? verified;
        while ((verified = await LocalCacheRequests.GetAsync(CriuWays.VerifiedKey)) is null)
        {
            if (clock.Elapsed > limit) throw new TimeoutException($"the host set no {CriuWays.VerifiedKey} within {limit.TotalSeconds:F0} s");
            await Task.Delay(250);
        }
        // "COUNT VERIFIED MISSING WRONG"
        long[] n = verified.Split(' ').Select(t => long.Parse(t, CultureInfo.InvariantCulture)).ToArray();
        string summary = $"the host read back {n[0]} items: {n[1]} verified, {n[2]} missing, {n[3]} wrong; {await LocalCacheRequests.StatsAsync()}";
        return n.Length == 4 && n[1] == n[0] && n[2] == 0 && n[3] == 0 ? summary : throw new InvalidOperationException(summary);
    }

    // ---------------------------------------------------------------- helpers

    private async Task<string> DescribeRootAsync()
    {
        var criu = await GuestCommand.RunAsync(Criu, "--version");
        var memcached = await GuestCommand.RunAsync(Memcached, "-V");
        string text = $"way {Way}, {Mib} MiB; {criu.Combined.Trim().ReplaceLineEndings(" ")}; {memcached.Combined.Trim()}; libc {Path.GetFileName(new FileInfo("/lib/x86_64-linux-gnu/libc.so.6").LinkTarget ?? "libc.so.6")}";
        if (plan.IsFirstHop && Way != CriuWays.Lucache)
        {
            // criu's own verdict on this kernel; informational (it tests features memcached does not use).
            var check = await GuestCommand.RunAsync(Criu, "check");
            text += $"\ncriu check (exit {check.ExitCode}): {check.Combined.Trim()}";
        }
        return text;
    }

    private static async Task MountDataDiskAsync()
    {
        Directory.CreateDirectory(DiskMount);
        if (File.ReadAllText("/proc/mounts").Contains($" {DiskMount} ", StringComparison.Ordinal)) return;
        var mount = await GuestCommand.RunAsync(Busybox, "mount", "-t", "ext4", DataDisk, DiskMount);
        if (mount.ExitCode != 0)
            throw new InvalidOperationException($"mount -t ext4 {DataDisk} {DiskMount} exited {mount.ExitCode}: {mount.Combined.Trim()} (did the host attach the formatted data disk after the root disk?)");
    }


    private static int? FindPid(string program)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                string[] argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                if (argv[0] == program) return pid;
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return null;
    }

    private static string Describe(int pid)
    {
        try
        {
            int threads = Directory.GetDirectories($"/proc/{pid}/task").Length;
            string rss = File.ReadAllLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";
            var fds = Directory.GetFiles($"/proc/{pid}/fd").Select(f => new FileInfo(f).LinkTarget ?? "?")
                .GroupBy(t => t.Contains(':') ? t[..t.IndexOf(':')] : t).Select(g => $"{g.Key}×{g.Count()}");
            return $"{threads} threads, RSS {rss}; fds: {string.Join(", ", fds)}";
        }
        catch (IOException e)
        {
            return e.Message;
        }
    }

    private static string Tail(string path, int lines)
    {
        if (!File.Exists(path)) return $"({path} missing)";
        string[] all = File.ReadAllLines(path);
        return string.Join("\n", all.Length > lines ? all[^lines..] : all);
    }

    /// <summary>What lu-guest waits for in lucriu's output (samples/LuCriu/README.md, "Output").</summary>
    private static class LucriuLines
    {
        public const string Subscribed = "lucriu: taking part in live updates";
        public const string Dumping = "lucriu: dumping";
    }
}
