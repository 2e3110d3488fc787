// LuoctlExitCodeTests: the exit-code contract of `luoctl update` that kured relies on when it
// runs it as --reboot-command (docs/kured.md): luoctl as its own process against the real luod
// service in-process (fake device, recording kexec). NO-GO (a verdict, an unreadable image) is
// 11, a cancel (a participant's refusal, the operator's `luoctl cancel`) 13, luod unreachable 4,
// bad usage 2, and a reboot call that returns 14 — and in none of them is a reboot asked for
// after a failed check. Also: `luoctl update --help` lists every code and docs/kured.md's table
// is the same table. The numbers are written out here on purpose: they are the contract.
using System.Text.RegularExpressions;
using LiveUpdate.Client.Errors;
using static LiveUpdate.Client.Tests.LuoctlProcess;

namespace LiveUpdate.Client.Tests;

public sealed class LuoctlExitCodeTests
{
    private const string CommandLine = "console=ttyS0 kho=on liveupdate=on";

    private static string[] Update(InProcessLuod luod, string kernel, params string[] more) =>
        ["update", "--socket", luod.SocketPath, "--kernel", kernel, "--append", CommandLine, "--timeout", "10", "--reboot-wait", "0", .. more];

    [Fact]
    public async Task No_go_exits_11_and_nothing_is_staged_or_rebooted()
    {
        using var bed = new LuodTestbed();
        await using var luod = InProcessLuod.Start(bed, FixedPreflight.NoGo("luo-abi-mismatch", "LUO ABI \"luo-v5\" vs \"luo-v6\""));
        await using var client = await luod.ConnectAsync();
        var participant = new RecordingParticipant();
        await using var link = await client.SubscribeAsync("cache", participant).WaitAsync(InProcessLuod.Timeout);

        var update = await RunAsync(Update(luod, StandInKernelImage.SharedPath));

        Assert.Equal(11, update.ExitCode);
        Assert.Contains(LuodPreflightFailedException.Name, update.Stderr);
        Assert.Contains("luo-abi-mismatch", update.Stderr);
        Assert.Contains("NO-GO", update.Stdout);
        Assert.Empty(luod.Kexec.Loaded);
        Assert.Equal(0, luod.Kexec.Reboots);
        Assert.DoesNotContain("prepare", participant.Calls);
    }

    [Fact]
    public async Task An_image_preflight_cannot_read_is_no_go_11_not_a_cancel()
    {
        // The stand-in passes luod's path check ("HdrS" at 0x202) but is no kernel: the real check cannot read it.
        using var bed = new LuodTestbed();
        await using var luod = InProcessLuod.Start(bed, new LiveUpdate.Daemon.KernelImagePreflight());
        string image = StandInKernelImage.Write(Path.Combine(bed.Directory, "vmlinuz-unreadable"));

        var update = await RunAsync(Update(luod, image));

        Assert.Equal(11, update.ExitCode);
        Assert.Contains(LuodPreflightFailedException.Name, update.Stderr);
        Assert.Contains("image-unreadable", update.Stderr);
        Assert.Contains(image, update.Stderr);
        Assert.Empty(luod.Kexec.Loaded);
        Assert.Equal(0, luod.Kexec.Reboots);
    }

    [Fact]
    public async Task A_participant_refusing_prepare_cancels_with_13_everyone_resumes_and_the_kernel_is_unloaded()
    {
        using var bed = new LuodTestbed();
        await using var luod = InProcessLuod.Start(bed);
        await using var client = await luod.ConnectAsync();
        var willing = new RecordingParticipant();
        var refusing = new RecordingParticipant(() => throw new InvalidOperationException("cache is mid-compaction"));
        await using var willingLink = await client.SubscribeAsync("willing", willing).WaitAsync(InProcessLuod.Timeout);
        await using var refusingLink = await client.SubscribeAsync("refusing", refusing).WaitAsync(InProcessLuod.Timeout);

        var update = await RunAsync(Update(luod, StandInKernelImage.SharedPath));

        Assert.Equal(13, update.ExitCode);
        Assert.Contains(LuodUpdateCancelledException.Name, update.Stderr);
        Assert.Contains("mid-compaction", update.Stderr);
        Assert.Equal(0, luod.Kexec.Reboots);
        Assert.Equal(1, luod.Kexec.Unloads);
        await willing.Resumed.Task.WaitAsync(InProcessLuod.Timeout);
        Assert.DoesNotContain("freeze", willing.Calls);
    }

    [Fact]
    public async Task The_operators_cancel_ends_the_update_with_13_and_the_cancel_itself_with_0()
    {
        using var bed = new LuodTestbed();
        await using var luod = InProcessLuod.Start(bed);
        await using var client = await luod.ConnectAsync();
        var holdPrepare = new TaskCompletionSource();
        var slow = new RecordingParticipant(() => holdPrepare.Task);
        await using var link = await client.SubscribeAsync("slow", slow).WaitAsync(InProcessLuod.Timeout);

        var update = RunAsync(TimeSpan.FromSeconds(60), ["update", "--socket", luod.SocketPath, "--kernel", StandInKernelImage.SharedPath,
            "--append", CommandLine, "--timeout", "50", "--reboot-wait", "0"]);
        for (int i = 0; i < 1000 && !slow.Calls.Contains("prepare"); i++) await Task.Delay(10);
        Assert.Contains("prepare", slow.Calls);
        var cancel = await RunAsync("cancel", "--socket", luod.SocketPath, "--reason", "kured maintenance window closed");
        var updated = await update;

        Assert.Equal(0, cancel.ExitCode);
        Assert.Equal(13, updated.ExitCode);
        Assert.Contains("kured maintenance window closed", updated.Stderr);
        Assert.Equal(0, luod.Kexec.Reboots);
        Assert.Equal(1, luod.Kexec.Unloads);
        holdPrepare.SetResult();
        await slow.Resumed.Task.WaitAsync(InProcessLuod.Timeout);
    }

    [Fact]
    public async Task An_unreachable_luod_exits_4_and_bad_usage_exits_2()
    {
        using var bed = new LuodTestbed();
        string absent = Path.Combine(bed.Directory, "nobody.sock");

        var unreachable = await RunAsync("update", "--socket", absent, "--kernel", StandInKernelImage.SharedPath, "--reuse-cmdline");
        Assert.Equal(4, unreachable.ExitCode);
        Assert.StartsWith($"luoctl: cannot reach luod at {absent}: ", unreachable.Stderr);

        var neither = await RunAsync("update", "--socket", absent, "--kernel", StandInKernelImage.SharedPath);
        Assert.Equal(2, neither.ExitCode);
        Assert.Contains("exactly one of --append", neither.Stderr);
        var noKernel = await RunAsync("update", "--socket", absent, "--reuse-cmdline");
        Assert.Equal(2, noKernel.ExitCode);
        Assert.Contains("--kernel", noKernel.Stderr);
        var unknown = await RunAsync("update", "--socket", absent, "--kernel", StandInKernelImage.SharedPath, "--reuse-cmdline", "--no-such-option");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("--no-such-option", unknown.Stderr);
    }

    [Fact]
    public async Task A_reboot_that_returns_is_14_not_success()
    {
        // The recording kexec's reboot returns at once, as no real reboot(KEXEC) does: luoctl must not report success.
        using var bed = new LuodTestbed();
        await using var luod = InProcessLuod.Start(bed);

        var update = await RunAsync(Update(luod, StandInKernelImage.SharedPath));

        Assert.Equal(14, update.ExitCode);
        Assert.Equal(1, luod.Kexec.Reboots);
        Assert.Contains("rebooting", update.Stdout);
        Assert.Contains("still running", update.Stderr);
    }

    [Fact]
    public async Task Update_help_and_docs_kured_md_list_the_same_exit_codes()
    {
        var help = await RunAsync("update", "--help");
        Assert.Equal(0, help.ExitCode);
        var helpRows = Regex.Matches(help.Stdout, @"^\s+(\d+)\s{2}([a-z-]+)\s", RegexOptions.Multiline)
            .Select(m => (int.Parse(m.Groups[1].Value), m.Groups[2].Value)).ToList();
        Assert.Equal([(0, "success"), (1, "failed"), (2, "usage"), (3, "luod-refused"), (4, "luod-unreachable"), (5, "no-report"), (6, "not-ready"),
            (10, "go-with-warnings"), (11, "no-go"), (12, "unreadable-image"), (13, "cancelled"), (14, "reboot-returned")], helpRows);

        string docs = await File.ReadAllTextAsync(Path.Combine(CheckoutRoot(), "docs", "kured.md"));
        var docRows = Regex.Matches(docs, @"^\| (\d+) \| `([a-z-]+)` \|", RegexOptions.Multiline)
            .Select(m => (int.Parse(m.Groups[1].Value), m.Groups[2].Value)).ToList();
        Assert.Equal(helpRows, docRows);
    }
}
