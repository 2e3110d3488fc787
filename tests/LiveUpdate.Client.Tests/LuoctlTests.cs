// LuoctlTests: luoctl (run as its own process) against the real luod service in-process —
// its output and exit codes, which scripts and the VM scenarios rely on, now that it talks
// to luod through the SDK: preserve, sessions --json (luod's records, every field, nulls
// included), retrieve after the kexec, luod's errors as `luoctl: <name>: k=v` with exit 3,
// and an unreachable luod with exit 4.
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using static LiveUpdate.Client.Tests.LuoctlProcess;

namespace LiveUpdate.Client.Tests;

public sealed class LuoctlTests
{
    [Fact]
    public async Task Luoctl_preserves_lists_and_retrieves_through_the_sdk()
    {
        using var bed = new LuodTestbed();
        var luod = InProcessLuod.Start(bed);
        byte[] data = RandomNumberGenerator.GetBytes(300_000);
        string input = Path.Combine(bed.Directory, "input.bin");
        await File.WriteAllBytesAsync(input, data);
        try
        {
            var preserve = await RunAsync("preserve", "--socket", luod.SocketPath, "--session", "db", "--name", "blob", "--file", input);
            Assert.Equal(0, preserve.ExitCode);
            Assert.Matches(@"^preserved blob \(300000 bytes\) in session db as token \d+\n$", preserve.Stdout);

            var list = await RunAsync("sessions", "--socket", luod.SocketPath, "--json");
            Assert.Equal(0, list.ExitCode);
            Assert.StartsWith("""{"status":{"kernelRelease":""", list.Stdout);
            var listed = JsonNode.Parse(list.Stdout)!;
            Assert.Null(listed["status"]!["custodyLostReason"]);
            Assert.True(listed["status"]!.AsObject().ContainsKey("custodyLostReason"));
            var session = listed["sessions"]![0]!.AsObject();
            Assert.Equal(["name", "owner", "kernelName", "mode", "state", "files", "preservedBytes", "createdNs", "metadata"], session.Select(p => p.Key));
            Assert.Equal("managed", (string?)session["mode"]);
            Assert.Equal("open", (string?)session["state"]);
            Assert.Equal(300_000, (long)session["files"]![0]!["bytes"]!);

            var missing = await RunAsync("finish", "--socket", luod.SocketPath, "--session", "nope");
            Assert.Equal(3, missing.ExitCode);
            Assert.Equal("luoctl: io.liveupdate.SessionNotFound: session=\"nope\"\n", missing.Stderr);

            luod = await luod.KexecAsync();
            string output = Path.Combine(bed.Directory, "output.bin");
            var retrieve = await RunAsync("retrieve", "--socket", luod.SocketPath, "--session", "db", "--name", "blob", "--output", output);
            Assert.Equal(0, retrieve.ExitCode);
            Assert.Equal($"retrieved blob (300000 bytes) from session db to {output}\n", retrieve.Stdout);
            Assert.Equal(data, await File.ReadAllBytesAsync(output));

            var finish = await RunAsync("finish", "--socket", luod.SocketPath, "--session", "db");
            Assert.Equal(0, finish.ExitCode);
            Assert.Equal("finish: db done\n", finish.Stdout);
        }
        finally
        {
            await luod.DisposeAsync();
        }
    }

    [Fact]
    public async Task Luoctl_names_a_file_the_session_lacks_and_an_absent_luod()
    {
        using var bed = new LuodTestbed();
        var luod = InProcessLuod.Start(bed);
        string input = Path.Combine(bed.Directory, "input.bin");
        await File.WriteAllBytesAsync(input, [1, 2, 3]);
        try
        {
            Assert.Equal(0, (await RunAsync("preserve", "--socket", luod.SocketPath, "--session", "db", "--name", "blob", "--file", input)).ExitCode);
            luod = await luod.KexecAsync();
            var wrongName = await RunAsync("retrieve", "--socket", luod.SocketPath, "--session", "db", "--name", "other", "--output", Path.Combine(bed.Directory, "x"));
            Assert.Equal(3, wrongName.ExitCode);
            Assert.Equal("luoctl: io.liveupdate.SessionNotFound: session=\"db/other\"\n", wrongName.Stderr);
        }
        finally
        {
            await luod.DisposeAsync();
        }

        var absent = await RunAsync("sessions", "--socket", Path.Combine(bed.Directory, "nobody.sock"));
        Assert.Equal(4, absent.ExitCode);
        Assert.StartsWith($"luoctl: cannot reach luod at {Path.Combine(bed.Directory, "nobody.sock")}: ", absent.Stderr);
        Assert.EndsWith("Is luod running (systemctl status luod)?\n", absent.Stderr);
    }

    [Fact]
    public async Task Luoctl_names_a_local_file_it_cannot_use_and_asks_luod_for_nothing()
    {
        using var bed = new LuodTestbed();
        await using var luod = InProcessLuod.Start(bed);
        string missing = Path.Combine(bed.Directory, "no-such-dir", "input.bin");
        foreach (var (file, says) in new[] { (missing, $"--file {missing} does not exist"), (bed.Directory, $"--file {bed.Directory} is a directory") })
        {
            var refused = await RunAsync("preserve", "--socket", luod.SocketPath, "--session", "db", "--name", "blob", "--file", file);
            Assert.Equal(1, refused.ExitCode);
            Assert.StartsWith($"luoctl: {says}", refused.Stderr);
            Assert.DoesNotContain("   at ", refused.Stderr); // no stack trace
        }
        var sessions = await RunAsync("sessions", "--socket", luod.SocketPath, "--json");
        Assert.Empty(JsonNode.Parse(sessions.Stdout)!["sessions"]!.AsArray()); // a bad --file created no session

        string input = Path.Combine(bed.Directory, "input.bin");
        await File.WriteAllBytesAsync(input, [1, 2, 3]);
        Assert.Equal(0, (await RunAsync("preserve", "--socket", luod.SocketPath, "--session", "db", "--name", "blob", "--file", input)).ExitCode);
        var next = await luod.KexecAsync();
        await using (next)
        {
            var badOutput = await RunAsync("retrieve", "--socket", next.SocketPath, "--session", "db", "--name", "blob", "--output", missing);
            Assert.Equal(1, badOutput.ExitCode);
            Assert.StartsWith($"luoctl: --output {missing}: the directory {Path.GetDirectoryName(missing)} does not exist", badOutput.Stderr);
            string output = Path.Combine(bed.Directory, "output.bin");
            Assert.Equal(0, (await RunAsync("retrieve", "--socket", next.SocketPath, "--session", "db", "--name", "blob", "--output", output)).ExitCode);
            Assert.Equal([1, 2, 3], await File.ReadAllBytesAsync(output));
        }
    }
}
