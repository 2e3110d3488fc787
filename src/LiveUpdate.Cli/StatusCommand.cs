// StatusCommand: `luoctl status [--json]` — what this machine can do for a live update
// right now, one finding per line with the fix for anything missing. Exit code 0 when
// ready, 6 (LuoctlExitCodes.NotReady) when something required is missing.
using System.CommandLine;
using System.Text.Json;
using LiveUpdate.Kernel;
using Spectre.Console;

namespace LiveUpdate.Cli;

internal static class StatusCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the findings as JSON" };
        var command = new Command("status", "Show whether this machine can perform a live update") { json };
        command.SetAction(parse =>
        {
            var capabilities = LiveUpdateCapabilityProbe.Probe();
            if (parse.GetValue(json))
                Console.Out.WriteLine(JsonSerializer.Serialize(capabilities, CliJson.Default.LiveUpdateCapabilities));
            else
                Render(capabilities);
            return capabilities.Ready ? LuoctlExitCodes.Success : LuoctlExitCodes.NotReady;
        });
        return command;
    }

    private static void Render(LiveUpdateCapabilities capabilities)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("check").AddColumn("state").AddColumn("detail").AddColumn("fix");
        foreach (var finding in capabilities.Findings)
        {
            string state = finding.Level switch
            {
                FindingLevel.Ok => "[green]ok[/]",
                FindingLevel.Warning => "[yellow]warning[/]",
                _ => "[red]missing[/]",
            };
            table.AddRow(Markup.Escape(finding.Name), state, Markup.Escape(finding.Detail), Markup.Escape(finding.Fix ?? ""));
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(capabilities.Ready
            ? "[green]Ready:[/] sessions can be created and handed over to the next kernel."
            : "[red]Not ready:[/] fix the missing items above before a live update.");
    }
}
