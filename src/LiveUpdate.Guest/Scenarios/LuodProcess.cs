// LuodProcess: starts and stops luod inside the guest for the luod scenarios, and runs
// luoctl against it (as root or as another uid), returning its output or failing with
// luoctl's own one-line error.
using System.Diagnostics;
using LiveUpdate.Varlink;
using LiveUpdate.GuestContract;
using LiveUpdateProtocol = LiveUpdate.Protocol.LiveUpdateProtocol;

namespace LiveUpdate.Guest.Scenarios;

public sealed class LuodProcess
{
    public const string Socket = "/run/luod/io.liveupdate";
    public const string Luod = "/opt/liveupdate/luod";
    private const string Luoctl = "/opt/liveupdate/luoctl";

    private LuodProcess(Process process) => Process = process;

    public Process Process { get; }

    /// <summary>Starts luod and waits until it answers on its socket; returns it with the time that took.</summary>
    public static Task<(LuodProcess Luod, TimeSpan Ready)> StartAsync(params string[] options) => StartAsync(null, options);

    /// <summary>As <see cref="StartAsync(string[])"/>, with <paramref name="environment"/> added to luod's (e.g. NOTIFY_SOCKET, FDSTORE).</summary>
    public static async Task<(LuodProcess Luod, TimeSpan Ready)> StartAsync(IReadOnlyDictionary<string, string>? environment, params string[] options)
    {
        var clock = Stopwatch.StartNew();
        if (File.Exists(Socket)) File.Delete(Socket);
        var start = new ProcessStartInfo(Luod, [$"--SocketPath={Socket}", .. options]);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start luod");
        await WaitUntilServingAsync(clock, () => process.HasExited ? process.ExitCode : null);
        return (new LuodProcess(process), clock.Elapsed);
    }

    /// <summary>Waits until luod answers GetStatus on its socket; fails when <paramref name="exitCode"/> reports an exit, or after 150 s on <paramref name="clock"/> (TCG on a busy 2-core host has needed 35 s).</summary>
    public static async Task WaitUntilServingAsync(Stopwatch clock, Func<int?> exitCode)
    {
        while (true)
        {
            if (exitCode() is { } code) throw new InvalidOperationException($"luod exited with {code} before listening");
            if (clock.Elapsed > TimeSpan.FromSeconds(150)) throw new TimeoutException("luod did not listen within 150 s");
            if (File.Exists(Socket))
            {
                try
                {
                    await using var client = await VarlinkClient.ConnectAsync(Socket);
                    await client.CallAsync(LiveUpdateProtocol.Methods.GetStatus);
                    return;
                }
                catch (VarlinkException) { }
            }
            await Task.Delay(20);
        }
    }

    public async Task KillAsync()
    {
        Process.Kill();
        await Process.WaitForExitAsync();
    }

    /// <summary>A file holding this run's initramfs (the retained initrd), for luod to load with the next kernel.</summary>
    public static async Task<string> CopyInitrdForNextHopAsync()
    {
        const string path = "/tmp/next-initrd";
        await using (var target = File.Create(path))
            await NextKernelHop.CopyRetainedInitrdAsync((chunk, _) => target.Write(chunk));
        return path;
    }

    /// <summary>Asks luod to kexec into the next kernel of the chain with this initramfs; returns only on failure.</summary>
    public static async Task KexecThroughLuodAsync(GuestPlan plan, ResultChannel results)
    {
        string initrd = await CopyInitrdForNextHopAsync();
        string commandLine = plan.NextHopCommandLine.ToString();
        await results.StepResultAsync(StepNames.LuodKexecRequest, true, 0, $"asking luod to kexec into {plan.NextTag}");
        string output = await LuoctlOkAsync("kexec", "--kernel", $"/boot/{plan.NextTag}/bzImage", "--initrd", initrd, "--append", commandLine);
        await Task.Delay(TimeSpan.FromSeconds(60));
        throw new TimeoutException($"luod accepted the kexec ({output}) but the machine did not reboot within 60 s");
    }

    /// <summary>
    /// `luoctl update` into the next kernel of the chain (check, stage, participants prepare and
    /// freeze, reboot); returns only on failure, with <paramref name="diagnostics"/> (e.g. the
    /// participants' logs) in the exception.
    /// </summary>
    public static async Task UpdateThroughLuodAsync(GuestPlan plan, ResultChannel results, Func<string> diagnostics)
    {
        string initrd = await CopyInitrdForNextHopAsync();
        await results.StepResultAsync(StepNames.LuodUpdateRequest, true, 0, $"luoctl update into {plan.NextTag}");
        var (code, output, error) = await LuoctlAsync(null, "update", "--kernel", $"/boot/{plan.NextTag}/bzImage",
            "--initrd", initrd, "--append", plan.NextHopCommandLine.ToString(), "--timeout", "60");
        // luoctl returns only when the update failed (or its connection dropped as the machine went down).
        await Task.Delay(TimeSpan.FromSeconds(code == 0 ? 60 : 0));
        throw new InvalidOperationException($"luoctl update exited {code} without a reboot: {output} {error}; {diagnostics()}");
    }

    /// <summary>Runs luoctl; returns (exit code, stdout, stderr).</summary>
    public static async Task<(int ExitCode, string Output, string Error)> LuoctlAsync(uint? uid, params string[] arguments)
    {
        var start = new ProcessStartInfo(Luoctl, arguments);
        start.Environment["LUOD_SOCKET"] = Socket;
        if (uid is { } other)
        {
            start.UserName = EnsureUser(other);
            start.Environment["HOME"] = "/tmp";
        }
        var outcome = await GuestCommand.RunAsync(start);
        return (outcome.ExitCode, outcome.Output.Trim(), outcome.Error.Trim());
    }

    /// <summary>Runs luoctl as root and fails unless it succeeds.</summary>
    public static async Task<string> LuoctlOkAsync(params string[] arguments)
    {
        var (code, output, error) = await LuoctlAsync(null, arguments);
        if (code != 0) throw new InvalidOperationException($"luoctl {string.Join(' ', arguments)} exited with {code}: {error} {output}");
        return output;
    }

    private static string EnsureUser(uint uid)
    {
        string name = $"lu-user{uid}";
        Directory.CreateDirectory("/etc");
        string line = $"{name}:x:{uid}:{uid}::/tmp:/bin/sh";
        if (!File.Exists("/etc/passwd") || !File.ReadAllLines("/etc/passwd").Contains(line))
            File.AppendAllText("/etc/passwd", (File.Exists("/etc/passwd") ? "" : "root:x:0:0::/root:/bin/sh\n") + line + "\n");
        if (!File.Exists("/etc/group") || !File.ReadAllText("/etc/group").Contains($"{name}:"))
            File.AppendAllText("/etc/group", (File.Exists("/etc/group") ? "" : "root:x:0:\n") + $"{name}:x:{uid}:\n");
        return name;
    }
}
