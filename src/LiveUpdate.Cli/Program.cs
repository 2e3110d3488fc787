// luoctl: the operator's command line for Linux live update. Verbs map one-to-one onto
// what an operator does: inspect the machine (status) and stage or fire the next kernel
// (kexec), and manage sessions held by luod. Errors from the kernel boundary print as one line that names cause and fix.
// Exit codes: LuoctlExitCodes (a command line that does not parse is bad usage, 2).
using System.CommandLine;
using LiveUpdate.Cli;

var root = new RootCommand("luoctl — Linux Live Update (KHO/LUO) control")
{
    StatusCommand.Create(),
    KexecCommand.Create(),
    CheckCommand.Create(),
    KhoCommand.Create(),
    AdviseCommand.Create(),
};
foreach (var command in SessionCommands.Create()) root.Subcommands.Add(command);
foreach (var command in UpdateCommands.Create()) root.Subcommands.Add(command);
root.Subcommands.Add(RebootRequiredCommand.Create());
var parsed = root.Parse(args);
int exitCode = await parsed.InvokeAsync();
// System.CommandLine prints the parse errors and help, and returns 1; luoctl's code for bad usage is 2.
return parsed.Errors.Count > 0 ? LuoctlExitCodes.Usage : exitCode;
