// CheckpointAcrossKexecTests: lucriu keep and restore in process against the real luod service
// over the fake /dev/liveupdate (LiveUpdate.Testing), with a fake criu (FakeCriu) and a real
// program (sleep 60): a dump carried through a simulated kexec and restored byte for byte; a
// failed dump refusing the update; a cancelled update continuing the stopped program; a failed
// restore keeping the session for another try; too many images refused.
using System.Text.RegularExpressions;
using LiveUpdate.Client;
using LiveUpdate.Varlink;

namespace LuCriu.Tests;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class CheckpointAcrossKexecTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private const string Name = "memcached";

    [GeneratedRegex(@"^lucriu: (?<step>[a-z-]+): (?<ms>\d+\.\d) ms(, (?<details>.*))?$", RegexOptions.Multiline)]
    private static partial Regex StepLine();

    private static LuCriuOptions Keep(FakeCriu criu, int pid, InProcessLuod luod, params string[] criuArguments) => new()
    {
        Command = LuCriuCommand.Keep, Name = Name, Pid = pid, CriuPath = criu.ScriptPath, WorkDirectory = criu.WorkDirectory,
        LuodSocket = luod.SocketPath, CriuArguments = criuArguments,
    };

    private static LuCriuOptions Restore(FakeCriu criu, InProcessLuod luod, params string[] criuArguments) => new()
    {
        Command = LuCriuCommand.Restore, Name = Name, CriuPath = criu.ScriptPath, WorkDirectory = criu.WorkDirectory,
        LuodSocket = luod.SocketPath, CriuArguments = criuArguments,
    };

    private static Dictionary<string, string> Steps(StringWriter output) =>
        StepLine().Matches(output.ToString()).GroupBy(m => m.Groups["step"].Value).ToDictionary(g => g.Key, g => g.Last().Value);

    private static async Task WaitForOutputAsync(StringWriter output, string text)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!output.ToString().Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"'{text}' never appeared in lucriu's output:\n{output}");
            await Task.Delay(20);
        }
    }

    private static async Task WaitForStateAsync(int pid, Func<char?, bool> wanted, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!wanted(ProcessTree.State(pid)))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"pid {pid} never became {what} (state {ProcessTree.State(pid)})");
            await Task.Delay(20);
        }
    }

    private static async Task<IReadOnlyList<SessionInfo>> SessionsAsync(InProcessLuod luod)
    {
        await using var client = await luod.ConnectAsync();
        return await client.ListSessionsAsync().WaitAsync(Timeout);
    }

    [Theory]
    [InlineData(false)] // work directory on disk: every image is copied into a memfd
    [InlineData(true)] // on tmpfs: criu's own files are adopted, nothing is copied
    public async Task A_dump_crosses_the_kexec_in_memfds_and_restores_byte_for_byte(bool workOnTmpfs)
    {
        using var criu = new FakeCriu(workOnTmpfs: workOnTmpfs);
        using var program = new SleepingProgram();
        using var machine = new LuodTestbed();
        var luod = InProcessLuod.Start(machine);
        var output = new StringWriter();
        var log = TextWriter.Synchronized(output);
        string images = Path.Combine(criu.WorkDirectory, "images");

        await using (await KeepCommand.StartAsync(Keep(criu, program.Pid, luod, "--tcp-established", "--shell-job"), log, log, CancellationToken.None).WaitAsync(Timeout))
        {
            var progress = await luod.RequestUpdateAsync().WaitAsync(Timeout);
            Assert.Equal("rebooting", progress[^1]["phase"]!.GetValue<string>());
        }
        await luod.Kexec.Rebooted.Task.WaitAsync(Timeout);

        // criu got exactly lucriu's dump arguments, then the extra ones; --leave-stopped left the program stopped.
        Assert.Equal(["-t", $"{program.Pid}", "-D", images, "-o", "dump.log", "-v2", "--leave-stopped", "--tcp-established", "--shell-job"], criu.Arguments("dump"));
        Assert.Equal('T', ProcessTree.State(program.Pid));
        // Each file was deleted once it was in its memfd: nothing is left on the work directory.
        Assert.Empty(Directory.GetFileSystemEntries(images));
        var steps = Steps(output);
        Assert.Matches(@", 10 images, 8\.0 MiB$", steps["dump"]);
        Assert.Matches(workOnTmpfs ? @", 8\.0 MiB, 0\.0 MiB copied, \d+ MiB/s$" : @", 8\.0 MiB, 8\.0 MiB copied, \d+ MiB/s$", steps["copy-into-memfds"]);

        await using var next = await luod.KexecAsync();
        Assert.NotNull(next.Registry.PendingUpdate);
        var dumped = criu.DumpedSums.Select(line => line.Split("  ", 2)[1]).Order(StringComparer.Ordinal).ToArray();
        await using (var client = await next.ConnectAsync())
        using (var claimed = await client.ClaimManagedAsync(Name).WaitAsync(Timeout))
        {
            // What luod handed back: one memfd per image, by its image name, and the manifest.
            Assert.Equal(dumped.Append(CheckpointManifest.FileName).Order(StringComparer.Ordinal), claimed.Files.Keys.Order(StringComparer.Ordinal));
            using var json = claimed.Map(CheckpointManifest.FileName);
            var manifest = CheckpointManifest.FromJson(json.Memory.Span);
            Assert.Equal(program.Pid, manifest.Pid);
            Assert.Equal(["sleep", "60"], manifest.Cmdline);
            Assert.Equal(criu.Arguments("dump"), manifest.CriuArguments.Skip(1));
            Assert.Equal(8 << 20, manifest.Images.Single(i => i.Name == "pages-1.img").Length);
            Assert.Equal(0, manifest.Images.Single(i => i.Name == "empty.img").Length);
            Assert.Equal(dumped.Sum(n => claimed.Files[n].Size), manifest.Timings.Bytes);
            // Disposed without Finish: the session stays claimed, and restore claims it again.
        }

        int code = await RestoreCommand.RunAsync(Restore(criu, next, "--tcp-established"), log, log, CancellationToken.None).WaitAsync(Timeout);

        Assert.True(code == RestoreCommand.Restored, output.ToString());
        Assert.True(criu.Restored);   // the fake's restore found every file's SHA-256 as dumped
        Assert.Equal(dumped, criu.RestoredFiles.Order(StringComparer.Ordinal));
        Assert.Equal(["-D", images, "-d", "-o", "restore.log", "-v2", "--tcp-established"], criu.Arguments("restore"));
        steps = Steps(output);
        foreach (var step in new[] { "prepare", "dump", "copy-into-memfds", "manifest", "claim", "copy-back", "restore", "resumed", "finish" })
            Assert.True(steps.ContainsKey(step), $"no '{step}' line in:\n{output}");
        Assert.Matches($@"pid {program.Pid} running", steps["restore"]);
        Assert.Null(next.Registry.PendingUpdate);           // Resumed ended the update's blackout
        Assert.Empty(await SessionsAsync(next));             // finished
        Assert.False(Directory.Exists(images));              // the images are deleted after a restore
        Assert.True(File.Exists(Path.Combine(criu.WorkDirectory, "restore.log")));
    }

    [Fact]
    public async Task A_failed_dump_refuses_the_update_with_criu_s_exit_code_and_log_tail()
    {
        using var criu = new FakeCriu(FakeCriuMode.DumpFails);
        using var program = new SleepingProgram();
        using var machine = new LuodTestbed();
        var luod = InProcessLuod.Start(machine);
        var output = new StringWriter();
        var log = TextWriter.Synchronized(output);

        await using (await KeepCommand.StartAsync(Keep(criu, program.Pid, luod), log, log, CancellationToken.None).WaitAsync(Timeout))
        {
            var error = await Assert.ThrowsAsync<VarlinkErrorException>(() => luod.RequestUpdateAsync().WaitAsync(Timeout));
            Assert.Equal("io.liveupdate.UpdateCancelled", error.ErrorName);
            string reason = error.Parameters["reason"]!.GetValue<string>();
            Assert.Contains("criu dump failed with exit code 1", reason);
            Assert.Contains("Error (criu/cr-dump.c:2100): fake dump failure", reason);
            Assert.Contains("dump log line 12\n", reason);        // the last 20 lines of 31 ...
            Assert.DoesNotContain("dump log line 11\n", reason); // ... and not more
            await WaitForOutputAsync(output, "lucriu: resume:");
        }

        Assert.Equal(0, luod.Kexec.Reboots);
        Assert.Contains("no dump had succeeded", Steps(output)["resume"]);
        Assert.DoesNotContain(await SessionsAsync(luod), s => s.Name == Name); // nothing preserved, the session given up
        Assert.NotEqual('T', ProcessTree.State(program.Pid));
        Assert.True(File.Exists(Path.Combine(criu.WorkDirectory, "dump.log"))); // the failed dump's log stays for the operator
    }

    /// <summary>A second participant that refuses freeze once lucriu's dump has stopped the program.</summary>
    private sealed class RefuseAfterDump(int pid) : IUpdateParticipant
    {
        public Task PrepareAsync(UpdateNotice notice, CancellationToken cancellationToken) => Task.CompletedTask;

        public async Task FreezeAsync(UpdateNotice notice, CancellationToken cancellationToken)
        {
            await WaitForStateAsync(pid, state => state == 'T', "stopped by the dump");
            throw new InvalidOperationException("refused after lucriu's dump");
        }

        public Task ResumeAsync(UpdateNotice notice, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    [Fact]
    public async Task A_cancelled_update_after_the_dump_continues_the_stopped_program()
    {
        using var criu = new FakeCriu();
        using var program = new SleepingProgram();
        using var machine = new LuodTestbed();
        var luod = InProcessLuod.Start(machine);
        var output = new StringWriter();
        var log = TextWriter.Synchronized(output);

        await using (var client = await luod.ConnectAsync())
        await using (await client.SubscribeAsync("refuser", new RefuseAfterDump(program.Pid)).WaitAsync(Timeout))
        await using (await KeepCommand.StartAsync(Keep(criu, program.Pid, luod), log, log, CancellationToken.None).WaitAsync(Timeout))
        {
            var error = await Assert.ThrowsAsync<VarlinkErrorException>(() => luod.RequestUpdateAsync().WaitAsync(Timeout));
            Assert.Contains("refused after lucriu's dump", error.Parameters["reason"]!.GetValue<string>());
            await WaitForOutputAsync(output, "lucriu: resume:");
        }

        Assert.True(criu.Dumped);
        await WaitForStateAsync(program.Pid, state => state is 'S' or 'R', "running again");
        Assert.Matches(@"SIGCONT to 1 of 1 process\(es\) of pid \d+; session 'memcached' released$", Steps(output)["resume"]);
        Assert.DoesNotContain(await SessionsAsync(luod), s => s.Name == Name);
        Assert.Equal(0, luod.Kexec.Reboots);
        Assert.False(File.Exists(Path.Combine(criu.WorkDirectory, "images", "pages-1.img")));
    }

    [Fact]
    public async Task A_failed_restore_keeps_the_session_and_the_same_command_restores_it_later()
    {
        using var criu = new FakeCriu();
        using var program = new SleepingProgram();
        using var machine = new LuodTestbed();
        var luod = InProcessLuod.Start(machine);
        var output = new StringWriter();
        var log = TextWriter.Synchronized(output);

        await using (await KeepCommand.StartAsync(Keep(criu, program.Pid, luod), log, log, CancellationToken.None).WaitAsync(Timeout))
            await luod.RequestUpdateAsync().WaitAsync(Timeout);
        await using var next = await luod.KexecAsync();

        criu.Mode = FakeCriuMode.RestoreFails;
        int failed = await RestoreCommand.RunAsync(Restore(criu, next), log, log, CancellationToken.None).WaitAsync(Timeout);
        Assert.Equal(RestoreCommand.CriuRestoreFailed, failed);
        string text = output.ToString();
        Assert.Contains("criu restore failed with exit code 1", text);
        Assert.Contains("Error (criu/cr-restore.c:1234): fake restore failure", text);
        Assert.Contains($"run `lucriu restore --name {Name}` again", text);
        var kept = Assert.Single(await SessionsAsync(next), s => s.Name == Name);
        Assert.Equal(LiveUpdate.Protocol.SessionState.Claimed, kept.State);
        Assert.NotNull(next.Registry.PendingUpdate); // no Resumed for a program that does not run

        criu.Mode = FakeCriuMode.Works;
        int retried = await RestoreCommand.RunAsync(Restore(criu, next), log, log, CancellationToken.None).WaitAsync(Timeout);
        Assert.True(retried == RestoreCommand.Restored, output.ToString());
        Assert.True(criu.Restored);
        Assert.Empty(await SessionsAsync(next));
        Assert.Null(next.Registry.PendingUpdate);
    }

    [Fact]
    public async Task More_images_than_a_session_holds_refuse_the_update_and_continue_the_program()
    {
        // 10 images of the ordinary dump and 250 more: 260, over the 252 a session holds beside the manifest.
        using var criu = new FakeCriu(FakeCriuMode.ManyImages, extraImages: 250);
        using var program = new SleepingProgram();
        using var machine = new LuodTestbed();
        var luod = InProcessLuod.Start(machine);
        var output = new StringWriter();
        var log = TextWriter.Synchronized(output);

        await using (await KeepCommand.StartAsync(Keep(criu, program.Pid, luod), log, log, CancellationToken.None).WaitAsync(Timeout))
        {
            var error = await Assert.ThrowsAsync<VarlinkErrorException>(() => luod.RequestUpdateAsync().WaitAsync(Timeout));
            string reason = error.Parameters["reason"]!.GetValue<string>();
            Assert.Contains("criu wrote 260 image files; a luod managed session holds at most 253 files", reason);
            await WaitForOutputAsync(output, "lucriu: resume:");
        }
        await WaitForStateAsync(program.Pid, state => state is 'S' or 'R', "running again");
        Assert.DoesNotContain(await SessionsAsync(luod), s => s.Name == Name);
    }
}
