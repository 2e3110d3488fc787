// UpdateParticipantProcess: a workload taking part in an orchestrated update, as its own
// process (`lu-guest participant --name N --mib M --seed S [--stuck-on-prepare | --stuck-on-freeze] [--freeze-delay-ms MS] [--after]`),
// the way a real cache or VMM would use the SDK. Before the update it preserves M MiB of
// seeded bytes in a managed session, subscribes, and logs every hook to
// /run/participants/N.log (a refused or cancelled update is checked there: on resume it
// verifies its bytes are intact). With --after, in the next kernel, it claims the session,
// checks SHA-256, tells luod it resumed, finishes, and prints one result line.
using System.Diagnostics;
using LiveUpdate.Client;

namespace LiveUpdate.Guest.Scenarios;

public static class UpdateParticipantProcess
{
    public const string LogDirectory = "/run/participants";
    public const string Executable = "/opt/liveupdate/lu-guest";

    public static string LogOf(string name) => Path.Combine(LogDirectory, name + ".log");

    public static async Task<int> RunAsync(string[] args)
    {
        string name = Value(args, "--name");
        int bytes = int.Parse(Value(args, "--mib")) << 20;
        ulong seed = ulong.Parse(Value(args, "--seed"));
        Directory.CreateDirectory(LogDirectory);
        await using var client = await LiveUpdateClient.ConnectAsync(LuodProcess.Socket);
        return args.Contains("--after")
            ? await ResumeAfterKexecAsync(client, name, bytes, seed)
            : await ParticipateAsync(client, name, bytes, seed, args.Contains("--stuck-on-prepare"), args.Contains("--stuck-on-freeze"), FreezeDelayOf(args));
    }

    private static TimeSpan FreezeDelayOf(string[] args) =>
        Array.IndexOf(args, "--freeze-delay-ms") is >= 0 and var index && index + 1 < args.Length ? TimeSpan.FromMilliseconds(int.Parse(args[index + 1])) : TimeSpan.Zero;

    private static async Task<int> ParticipateAsync(LiveUpdateClient client, string name, int bytes, ulong seed, bool stuck, bool stuckOnFreeze, TimeSpan freezeDelay)
    {
        var session = await client.CreateManagedSessionAsync(name);
        using var memory = PreservedMemory.Create(name, bytes);
        new SeededPattern(seed).Fill(memory.Memory.Span);
        await session.PreserveAsync("data", memory);
        var hooks = new Hooks(name, memory, SeededPattern.Sha256Of(seed, bytes), stuck, stuckOnFreeze, freezeDelay);
        await using var subscription = await client.SubscribeAsync(name, hooks);
        Log(name, "subscribed");
        try
        {
            await subscription.Completion; // until the kexec ends this process (a luod restart does not: the SDK resubscribes)
            Log(name, "subscription ended");
        }
        catch (Exception error)
        {
            // luod refused the subscription for good: say how the SDK ended it, check the bytes we still hold.
            Log(name, $"subscription ended: {error.GetType().Name}: {error.Message}; data {(MemFdContent.Sha256(memory.MemFd) == SeededPattern.Sha256Of(seed, bytes) ? "intact" : "CORRUPT")}");
        }
        return 0;
    }

    private static async Task<int> ResumeAfterKexecAsync(LiveUpdateClient client, string name, int bytes, ulong seed)
    {
        var clock = Stopwatch.StartNew();
        using var claimed = await client.ClaimManagedAsync(name);
        double claimMs = clock.Elapsed.TotalMilliseconds;
        string expected = SeededPattern.Sha256Of(seed, bytes);
        string actual = MemFdContent.Sha256(claimed.Files["data"]);
        await client.ResumedAsync(name);
        double resumedMs = clock.Elapsed.TotalMilliseconds;
        await claimed.FinishAsync();
        bool ok = actual == expected;
        Console.WriteLine($"{name}: {(ok ? "intact" : "CORRUPT")} sha256={actual} expected={expected}; claimed in {claimMs:F0} ms, resumed at {resumedMs:F0} ms, finished");
        return ok ? 0 : 1;
    }

    private sealed class Hooks(string name, PreservedMemory memory, string expectedSha, bool stuck, bool stuckOnFreeze, TimeSpan freezeDelay) : IUpdateParticipant
    {
        // A stuck participant holds its acknowledgement at the first update it hears only (until the SDK
        // cancels the hook: luod's deadline, a cancel, or luod gone); later updates find it cooperative, as a
        // participant that resubscribed after a luod restart (fault-luod-killed) takes part in the next one.
        private int _held;

        private bool HoldThisTime(bool flag) => flag && Interlocked.Exchange(ref _held, 1) == 0;

        public async Task PrepareAsync(UpdateNotice notice, CancellationToken cancellationToken)
        {
            Log(name, $"prepare {notice.UpdateId} (deadline in {notice.Remaining.TotalSeconds:F1} s)");
            if (HoldThisTime(stuck)) await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        public void ConnectionChanged(bool connected, string detail) => Log(name, $"link {(connected ? "up" : "down")}: {detail}");

        public async Task FreezeAsync(UpdateNotice notice, CancellationToken cancellationToken)
        {
            Log(name, $"freeze {notice.UpdateId}");
            // A slow freeze (fault-participants) holds the update in its freeze phase long enough for the
            // scenario to SIGKILL another participant that has already acknowledged freeze.
            if (freezeDelay > TimeSpan.Zero) await Task.Delay(freezeDelay, cancellationToken);
            if (HoldThisTime(stuckOnFreeze)) await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        public Task ResumeAsync(UpdateNotice notice, CancellationToken cancellationToken)
        {
            string actual = MemFdContent.Sha256(memory.MemFd);
            Log(name, $"resume {notice.UpdateId}: {notice.Reason}; data {(actual == expectedSha ? "intact" : "CORRUPT")}");
            return Task.CompletedTask;
        }
    }

    private static void Log(string name, string line)
    {
        File.AppendAllText(LogOf(name), line + "\n");
    }

    private static string Value(string[] args, string option)
    {
        int index = Array.IndexOf(args, option);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : throw new ArgumentException($"participant: {option} is required");
    }

    /// <summary>Starts a participant process and waits until it has subscribed.</summary>
    public static async Task<Process> StartAsync(string name, int mib, ulong seed, params string[] extra)
    {
        Directory.CreateDirectory(LogDirectory);
        File.Delete(LogOf(name));
        var start = new ProcessStartInfo(Executable, ["participant", "--name", name, "--mib", mib.ToString(), "--seed", seed.ToString(), .. extra]);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start participant {name}");
        var clock = Stopwatch.StartNew();
        while (!(File.Exists(LogOf(name)) && File.ReadAllText(LogOf(name)).Contains("subscribed", StringComparison.Ordinal)))
        {
            if (process.HasExited) throw new InvalidOperationException($"participant {name} exited with {process.ExitCode} before subscribing");
            if (clock.Elapsed > TimeSpan.FromSeconds(90)) throw new TimeoutException($"participant {name} did not subscribe within 90 s");
            await Task.Delay(100);
        }
        return process;
    }

    /// <summary>Runs the next kernel's side of a participant to completion: (exit code, its result line).</summary>
    public static async Task<(int ExitCode, string Output)> ResumeAsync(string name, int mib, ulong seed)
    {
        var start = new ProcessStartInfo(Executable, ["participant", "--after", "--name", name, "--mib", mib.ToString(), "--seed", seed.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start participant {name}");
        string output = await process.StandardOutput.ReadToEndAsync();
        string error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, (output + error).Trim());
    }
}
