// KexecCommand: `luoctl kexec --kernel K …` asks luod to kexec (sessions held to the end);
// `luoctl kexec load|unload|exec` act directly — stage the next kernel with
// kexec_file_load (the loader KHO needs), drop it, or reboot into it. `exec` refuses when
// nothing is loaded rather than doing a plain reboot.
using System.CommandLine;
using LiveUpdate.Kernel;
using LiveUpdate.Kernel.Errors;

namespace LiveUpdate.Cli;

internal static class KexecCommand
{
    public static Command Create()
    {
        var kernel = new Option<FileInfo>("--kernel") { Description = "The next kernel's bzImage", Required = true };
        var initrd = new Option<FileInfo?>("--initrd") { Description = "The next kernel's initramfs" };
        var append = new Option<string?>("--append") { Description = "The next kernel's command line" };
        var reuse = new Option<bool>("--reuse-cmdline") { Description = "Reuse the running kernel's command line (/proc/cmdline)" };
        var load = new Command("load", "Load the next kernel with kexec_file_load") { kernel, initrd, append, reuse };
        load.Validators.Add(result =>
        {
            if (result.GetValue(append) is not null == result.GetValue(reuse))
                result.AddError("Give exactly one of --append \"...\" or --reuse-cmdline.");
        });
        load.SetAction(parse => Run(() =>
        {
            string commandLine = parse.GetValue(reuse)
                ? KernelCommandLine.Current().ToString()
                : parse.GetValue(append)!;
            var kernelFile = parse.GetValue(kernel)!;
            var initrdFile = parse.GetValue(initrd);
            Kexec.Load(kernelFile.FullName, initrdFile?.FullName, commandLine);
            Console.Out.WriteLine($"loaded {kernelFile.FullName}{(initrdFile is null ? "" : $" with {initrdFile.FullName}")}; command line: {commandLine}");
        }));

        var unload = new Command("unload", "Unload the staged kernel");
        unload.SetAction(_ => Run(() =>
        {
            Kexec.Unload();
            Console.Out.WriteLine("unloaded the staged kernel");
        }));

        var exec = new Command("exec", "Reboot into the staged kernel now (sessions whose fds are open are handed over)");
        exec.SetAction(_ => Run(Kexec.RebootIntoLoadedKernel));

        var socket = LuodConnection.SocketOption();
        var viaKernel = new Option<FileInfo>("--kernel") { Description = "The next kernel's bzImage", Required = true };
        var viaInitrd = new Option<FileInfo?>("--initrd") { Description = "The next kernel's initramfs" };
        var viaAppend = new Option<string?>("--append") { Description = "The next kernel's command line" };
        var viaReuse = new Option<bool>("--reuse-cmdline") { Description = "Reuse the running kernel's command line" };
        var kexec = new Command("kexec",
            "Ask luod to load the next kernel and reboot into it, holding every session to the last moment. " +
            "The subcommands act directly, without luod.") { socket, viaKernel, viaInitrd, viaAppend, viaReuse, load, unload, exec };
        kexec.Validators.Add(result =>
        {
            if (result.GetValue(viaAppend) is not null == result.GetValue(viaReuse))
                result.AddError("Give exactly one of --append \"...\" or --reuse-cmdline.");
        });
        kexec.SetAction((parse, ct) => LuodConnection.RunAsync(parse.GetValue(socket)!, async client =>
        {
            await client.KexecAsync(parse.GetValue(viaKernel)!.FullName, parse.GetValue(viaInitrd)?.FullName, parse.GetValue(viaAppend),
                parse.GetValue(viaReuse), ct);
            Console.Out.WriteLine("luod accepted the kexec; the machine reboots into the next kernel now.");
        }, ct));
        return kexec;
    }

    private static int Run(Action action)
    {
        try
        {
            action();
            return LuoctlExitCodes.Success;
        }
        catch (LiveUpdateException error)
        {
            Console.Error.WriteLine($"luoctl: {error.Message}");
            return LuoctlExitCodes.Failed;
        }
    }
}
