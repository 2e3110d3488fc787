// luoctl: the operator's command line for Linux live update. Verbs map one-to-one onto
// what an operator does: inspect the machine (status) and stage or fire the next kernel
// (kexec), and manage sessions held by luod. Errors from the kernel boundary print as one line that names cause and fix.
using System.CommandLine;
using LiveUpdate.Cli;

var root = new RootCommand("luoctl — Linux Live Update (KHO/LUO) control")
{
    StatusCommand.Create(),
    KexecCommand.Create(),
    CheckCommand.Create(),
    AdviseCommand.Create(),
};
foreach (var command in SessionCommands.Create()) root.Subcommands.Add(command);
foreach (var command in UpdateCommands.Create()) root.Subcommands.Add(command);
return await root.Parse(args).InvokeAsync();
