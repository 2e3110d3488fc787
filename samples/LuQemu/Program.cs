// luqemu: runs a QEMU virtual machine whose RAM is a memfd luod preserves, and takes the VM
// through luod's orchestrated live update of the host kernel (VmUpdateParticipant). The same
// command in the next kernel finds luod's session and resumes the VM where it stopped.
//   luqemu run --name NAME --ram-mib N --kernel BZIMAGE --initrd INITRAMFS [--append CMDLINE] [--cpus C]
//              [--qemu PATH] [--run-dir DIR] [--luod-socket PATH] [--verify-ram] [--fill-ram SEED] [--echo-console]
using LiveUpdate.Client;
using LiveUpdate.Client.Errors;
using LuQemu;

return await LuQemuCommand.RunAsync(args);

internal static class LuQemuCommand
{
    private const string Usage = """
        usage:
          luqemu run --name NAME --ram-mib N --kernel BZIMAGE --initrd INITRAMFS [--append CMDLINE] [--cpus C]
                     [--qemu PATH] [--run-dir DIR] [--luod-socket PATH] [--verify-ram] [--fill-ram SEED] [--echo-console]
        Boots the VM (or, after a live update, resumes it from the session luod kept) and takes part in
        luod's updates as participant NAME. The VM's serial console goes to DIR/console.log
        (DIR: /run/luqemu/NAME). --verify-ram hashes the RAM after the vCPU stop and after the claim
        (slow: it adds to the blackout). --fill-ram fills a cold-booted VM's RAM with pseudo-random bytes
        first, as if its memory were in use (benchmarks: a migration to a file skips zero pages).
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] != "run") return Fail($"unknown command '{args[0]}'\n{Usage}", 2);
        CommandOptions options;
        try { options = CommandOptions.Parse(args.AsSpan(1)); }
        catch (ArgumentException error) { return Fail($"{error.Message}\n{Usage}", 2); }

        using var stop = new CancellationTokenSource();
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        var log = Console.Out;
        try
        {
            await using var luod = await ConnectAsync(options.LuodSocket, stop.Token);
            var run = RunDirectory.Create(options.RunDirectory);
            await using var keeper = new VmKeeper(luod, options.Name, options.Vm, run, options.VerifyRam, options.EchoConsole, log) { FillRamSeed = options.FillRamSeed };
            log.WriteLine($"luqemu: {await keeper.StartAsync(stop.Token)}");
            var participant = new VmUpdateParticipant(keeper, log);
            await using var subscription = await luod.SubscribeAsync(options.Name, participant, stop.Token);
            log.WriteLine($"luqemu: VM {options.Name} taking part in live updates as participant '{options.Name}'");
            log.Flush();
            while (!stop.IsCancellationRequested)
            {
                if (subscription.Completion.IsCompleted)
                {
                    await subscription.Completion;
                    return Fail("luod ended the subscription; the VM runs on without live-update protection", 5);
                }
                if (keeper.Qemu is { Process.HasExited: true } qemu && !keeper.StateSaved)
                {
                    log.WriteLine($"luqemu: QEMU exited with {qemu.Process.ExitCode} (the VM shut down); ending");
                    return qemu.Process.ExitCode == 0 ? 0 : 6;
                }
                try { await Task.Delay(200, stop.Token); } catch (OperationCanceledException) { }
            }
            log.WriteLine("luqemu: SIGTERM: stopping the VM");
            await keeper.StopQemuAsync();
            return 0;
        }
        catch (LiveUpdateClientException error)
        {
            return Fail($"luod: {error.Message}", 4);
        }
        catch (Exception error) when (error is IOException or InvalidOperationException or InvalidDataException or TimeoutException or QmpException or FileNotFoundException)
        {
            return Fail(error.Message, 3);
        }
    }

    /// <summary>luod may still be starting (after the kexec it is started moments before us): retry for up to 60 s.</summary>
    private static async Task<LiveUpdateClient> ConnectAsync(string? socket, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try { return await LiveUpdateClient.ConnectAsync(socket, cancellationToken); }
            catch (LuodUnavailableException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(20, cancellationToken);
            }
        }
    }

    private static int Fail(string message, int code)
    {
        Console.Error.WriteLine($"luqemu: {message}");
        return code;
    }
}
