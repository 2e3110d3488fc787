// CriuBench (scenario "criu"): the blackout benchmark's "checkpoint to disk" comparison — Debian's
// criu dumps the lucache process to the virtio disk, the machine reboots cold, criu restores it.
// Hop 0: `criu check` (reported in full), /dev/vda mounted at /mnt/disk, lucache serving standalone
// in its own session (setsid, stdio on /dev/null and the disk, PIDs moved above 10000 so the next
// boot's processes cannot hold them), N MiB of seeded items loaded, `criu dump` + sync, timed.
// Hop 1 (cold boot): `criu restore -d` from the disk, then every item read back with lucache verify.
// Timing marks (criu.dump-start, criu.dumped, criu.restore-start, criu.restored, criu.verified) go
// to the host, which stamps them with its clock across the reboot. lu.criu.mib=N sets N (default 64).
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using LiveUpdate.GuestContract;

namespace LiveUpdate.Guest.Scenarios;

public sealed class CriuBench(GuestPlan plan, ResultChannel results)
{
    public const int Port = 11211;
    private const string Criu = "/bin/criu";
    private const string Disk = "/dev/vda";
    private const string Mount = "/mnt/disk";
    private const string ImageDirectory = Mount + "/criu";
    private const string ServeLog = Mount + "/lucache.log";
    private const ulong Seed = 7;

    private const string Lucache = "/opt/liveupdate/lucache";

    private int Mib => int.TryParse(plan.CommandLine.Get(GuestCommandLineKeys.CriuMib), out int mib) && mib > 0 ? mib : 64;

    public async Task<bool> RunAsync()
    {
        // Informational: criu's own verdict on the kernel. The dump and restore are tried regardless,
        // since `criu check` also tests features this process does not use (ttys, for one).
        await results.StepAsync(StepNames.Criu.Check, async () =>
        {
            var (code, output) = CodeAndOutput(await GuestCommand.RunAsync(Criu, "check"));
            var (_, all) = CodeAndOutput(await GuestCommand.RunAsync(Criu, "check", "--all"));
            string text = $"criu check (exit {code}):\n{output}\ncriu check --all:\n{all}";
            return code == 0 ? text : throw new InvalidOperationException(text);
        });
        if (!await results.StepAsync(StepNames.Criu.Disk, MountDiskAsync))
            return false;
        return plan.IsFirstHop ? await DumpAsync() : await RestoreAsync();
    }

    private async Task<string> MountDiskAsync()
    {
        Directory.CreateDirectory(Mount);
        var (code, output) = CodeAndOutput(await GuestCommand.RunAsync("/bin/mount", "-t", "ext4", Disk, Mount));
        if (code != 0) throw new InvalidOperationException($"mount -t ext4 {Disk} {Mount} exited {code}: {output} (did the host attach a formatted disk image?)");
        if (plan.IsFirstHop)
        {
            if (Directory.Exists(ImageDirectory)) Directory.Delete(ImageDirectory, recursive: true);
            Directory.CreateDirectory(ImageDirectory);
        }
        var (_, df) = CodeAndOutput(await GuestCommand.RunAsync("/bin/df", "-m", Mount));
        return df.Trim();
    }

    private async Task<bool> DumpAsync()
    {
        int pid = 0;
        if (!await results.StepAsync(StepNames.Criu.CacheStart, async () =>
            {
                (pid, string detail) = await StartCacheAsync();
                return detail;
            }))
            return false;
        if (!await results.StepAsync(StepNames.Criu.Load, () => GuestCommand.LucacheAsync("load", "--port", Port.ToString(), "--mib", Mib.ToString(), "--seed", Seed.ToString())))
            return false;
        // The load's connections must be gone from the server (no established or closing TCP
        // sockets), else criu wants --tcp-established.
        await results.StepAsync(StepNames.Criu.Quiesce, async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            return $"lucache pid {pid}: {Describe(pid)}";
        });
        return await results.StepAsync(StepNames.Criu.Dump, async () =>
        {
            var clock = Stopwatch.StartNew();
            await results.MarkAsync(StepNames.Criu.DumpStartMark);
            var (code, output) = CodeAndOutput(await GuestCommand.RunAsync(Criu, "dump", "-t", pid.ToString(), "-D", ImageDirectory, "-v2", "-o", "dump.log"));
            var dumpMs = clock.Elapsed.TotalMilliseconds;
            if (code != 0)
                throw new InvalidOperationException($"criu dump exited {code}: {output.Trim()}\nlast lines of dump.log:\n{Tail(Path.Combine(ImageDirectory, "dump.log"), 25)}");
            await GuestCommand.RunAsync("/bin/sync");
            await results.MarkAsync(StepNames.Criu.DumpedMark);
            long bytes = Directory.EnumerateFiles(ImageDirectory).Sum(f => new FileInfo(f).Length);
            return $"dumped lucache pid {pid} ({Mib} MiB of items) in {dumpMs:F0} ms + sync {clock.Elapsed.TotalMilliseconds - dumpMs:F0} ms; " +
                $"images {bytes / 1048576.0:F1} MiB; {Tail(Path.Combine(ImageDirectory, "dump.log"), 1)}";
        });
    }

    private async Task<bool> RestoreAsync()
    {
        if (!await results.StepAsync(StepNames.Criu.Restore, async () =>
            {
                var clock = Stopwatch.StartNew();
                await results.MarkAsync(StepNames.Criu.RestoreStartMark);
                var (code, output) = CodeAndOutput(await GuestCommand.RunAsync(Criu, "restore", "-D", ImageDirectory, "-d", "-v2", "-o", "restore.log"));
                if (code != 0)
                    throw new InvalidOperationException($"criu restore exited {code}: {output.Trim()}\nlast lines of restore.log:\n{Tail(Path.Combine(ImageDirectory, "restore.log"), 25)}");
                await results.MarkAsync(StepNames.Criu.RestoredMark);
                return $"restored in {clock.Elapsed.TotalMilliseconds:F0} ms; {Tail(Path.Combine(ImageDirectory, "restore.log"), 1)}";
            }))
            return false;
        return await results.StepAsync(StepNames.Criu.Verify, async () =>
        {
            string verified = await GuestCommand.LucacheAsync("verify", "--port", Port.ToString(), "--mib", Mib.ToString(), "--seed", Seed.ToString());
            await results.MarkAsync(StepNames.Criu.VerifiedMark);
            return verified;
        });
    }

    private async Task<(int Pid, string Detail)> StartCacheAsync()
    {
        // The restore needs the dumped PIDs (process and every thread) free in the next boot:
        // start lucache far above where a fresh boot's processes land.
        await File.WriteAllTextAsync("/proc/sys/kernel/ns_last_pid", "10000");
        int arenaMib = Mib + Mib / 4 + 16;
        var start = new ProcessStartInfo("/bin/sh", ["-c",
            $"exec setsid {Lucache} serve --listen 127.0.0.1 --port {Port} --arena-mib {arenaMib} </dev/null >{ServeLog} 2>&1"]);
        using var shell = Process.Start(start) ?? throw new InvalidOperationException("could not start lucache");
        var clock = Stopwatch.StartNew();
        while (!await AcceptsAsync())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(120)) throw new TimeoutException($"lucache did not listen within 120 s: {ReadLog()}");
            await Task.Delay(50);
        }
        int pid = FindServePid() ?? throw new InvalidOperationException($"lucache serves but its process was not found in /proc: {ReadLog()}");
        return (pid, $"lucache pid {pid} (sid {Session(pid)}) serving after {clock.Elapsed.TotalMilliseconds:F0} ms: {ReadLog()}");
    }

    private static int? FindServePid()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                string[] argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                if (argv.Length > 1 && argv[0].EndsWith("lucache", StringComparison.Ordinal) && argv[1] == "serve") return pid;
            }
            catch (IOException) { }
        }
        return null;
    }

    private static string Session(int pid)
    {
        // /proc/PID/stat: "pid (comm) state ppid pgrp session ..."
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields[3];
    }

    private static string Describe(int pid)
    {
        try
        {
            int threads = Directory.GetDirectories($"/proc/{pid}/task").Length;
            var fds = Directory.GetFiles($"/proc/{pid}/fd").Select(f => new FileInfo(f).LinkTarget ?? "?")
                .GroupBy(t => t.Contains(':') ? t[..t.IndexOf(':')] : t).Select(g => $"{g.Key}×{g.Count()}");
            return $"{threads} threads; fds: {string.Join(", ", fds)}";
        }
        catch (IOException e)
        {
            return e.Message;
        }
    }

    private static async Task<bool> AcceptsAsync()
    {
        try
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync("127.0.0.1", Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static (int Code, string Output) CodeAndOutput(GuestCommand.Outcome outcome) => (outcome.ExitCode, outcome.Combined);

    private static string Tail(string path, int lines)
    {
        if (!File.Exists(path)) return $"({path} missing)";
        string[] all = File.ReadAllLines(path);
        return string.Join("\n", all.Length > lines ? all[^lines..] : all);
    }

    private static string ReadLog() => File.Exists(ServeLog) ? File.ReadAllText(ServeLog).Trim().Replace('\n', ' ') : "(no log)";
}
