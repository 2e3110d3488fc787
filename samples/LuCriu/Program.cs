// lucriu: carries an unmodified program across a kernel live update with CRIU. `keep` takes
// part in luod's updates (criu dump at freeze, the images into memfds luod preserves);
// `restore`, in the next kernel, puts the images back and runs criu restore. See README.md.
using System.Runtime.InteropServices;
using LiveUpdate.Client.Errors;
using LuCriu;

return await LuCriuProgram.RunAsync(args);

internal static class LuCriuProgram
{
    public const int KeepStopped = 0;
    public const int KeepProgramNotFound = 3;
    public const int KeepLuodFailed = 4;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage.Overview);
            return args.Length == 0 ? RestoreCommand.Usage : 0;
        }
        if (LuCriuOptions.WantsHelp(args.AsSpan(1)))
        {
            Console.WriteLine(args[0] == "restore" ? Usage.Restore : args[0] == "keep" ? Usage.Keep : Usage.Overview);
            return 0;
        }
        LuCriuOptions options;
        try { options = LuCriuOptions.Parse(args); }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"lucriu: {e.Message}\n{(args[0] == "restore" ? Usage.Restore : args[0] == "keep" ? Usage.Keep : Usage.Overview)}");
            return RestoreCommand.Usage;
        }
        return options.Command == LuCriuCommand.Keep ? await KeepAsync(options) : await RestoreCommand.RunAsync(options, Console.Out, Console.Error, CancellationToken.None);
    }

    private static async Task<int> KeepAsync(LuCriuOptions options)
    {
        using var stop = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        KeepCommand keeping;
        try
        {
            keeping = await KeepCommand.StartAsync(options, Console.Out, Console.Error, stop.Token);
        }
        catch (ProgramNotFoundException e)
        {
            Console.Error.WriteLine($"lucriu: {e.Message}");
            return KeepProgramNotFound;
        }
        catch (LiveUpdateClientException e)
        {
            Console.Error.WriteLine($"lucriu: luod: {e.Message}");
            return KeepLuodFailed;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return KeepStopped;
        }
        try { await Task.Delay(Timeout.Infinite, stop.Token); }
        catch (OperationCanceledException) { }
        await keeping.DisposeAsync();
        Console.WriteLine($"lucriu: stopped keeping pid {options.Pid}");
        return KeepStopped;
    }
}
