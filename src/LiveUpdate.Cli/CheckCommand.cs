// CheckCommand: `luoctl check <kernel> [--initrd I] [--append A | --reuse-cmdline] [--from IMAGE]
// [--handlers memfd,...] [--json]` — before a live update, can the next kernel read what this
// one hands over? Prints the verdict, then one line per finding (what — why — fix).
// Exit codes (LuoctlExitCodes): 0 GO, 10 GO with warnings, 11 NO-GO, 12 an image cannot be read.
using System.CommandLine;
using System.Text.Json;
using LiveUpdate.Kernel;
using LiveUpdate.Preflight;
using Spectre.Console;

namespace LiveUpdate.Cli;

internal static class CheckCommand
{
    public static Command Create()
    {
        var kernel = new Argument<string>("kernel") { Description = "The next kernel image (bzImage / vmlinuz)" };
        var initrd = new Option<string?>("--initrd") { Description = "The next kernel's initrd (counted against KHO scratch)" };
        var append = new Option<string?>("--append") { Description = "The next kernel's command line" };
        var reuse = new Option<bool>("--reuse-cmdline") { Description = "Use the running kernel's command line (/proc/cmdline)" };
        var from = new Option<string?>("--from") { Description = "Qualify offline: compare against this kernel image instead of the running kernel" };
        var handlers = new Option<string>("--handlers")
        {
            Description = "File handler kinds in use by sessions, comma-separated",
            DefaultValueFactory = _ => "memfd",
        };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON" };
        var command = new Command("check", "Check that the next kernel can take over this kernel's live update state")
        {
            kernel, initrd, append, reuse, from, handlers, json,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(append) is not null && result.GetValue(reuse))
                result.AddError("--append and --reuse-cmdline cannot be combined.");
        });
        command.SetAction(parse =>
        {
            string? commandLine = parse.GetValue(append);
            if (parse.GetValue(reuse))
            {
                try { commandLine = KernelCommandLine.Current().ToString(); }
                catch (IOException e) { Console.Error.WriteLine($"luoctl: cannot read {KernelCommandLine.ProcPath}: {e.Message}"); }
            }
            var request = new PreflightRequest(
                parse.GetValue(kernel)!,
                parse.GetValue(initrd),
                commandLine,
                (parse.GetValue(handlers) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                parse.GetValue(from));

            PreflightReport report;
            try
            {
                report = PreflightCheck.Run(request);
            }
            catch (KernelImageException e)
            {
                Console.Error.WriteLine($"luoctl: cannot read the kernel image: {e.Message}");
                return LuoctlExitCodes.UnreadableImage;
            }

            if (parse.GetValue(json))
                Console.Out.WriteLine(JsonSerializer.Serialize(report, PreflightJsonContext.Readable.PreflightReport));
            else
                Render(report);
            return ExitCode(report.Verdict);
        });
        return command;
    }

    public static int ExitCode(PreflightVerdict verdict) => verdict switch
    {
        PreflightVerdict.Go => LuoctlExitCodes.Success,
        PreflightVerdict.GoWithWarnings => LuoctlExitCodes.GoWithWarnings,
        _ => LuoctlExitCodes.NoGo,
    };

    private static void Render(PreflightReport report)
    {
        // One line per finding: when piped (logs, scripts) nothing is wrapped at 80 columns.
        if (Console.IsOutputRedirected)
        {
            // A script or a log reads this: one finding per line, no colour escapes.
            AnsiConsole.Profile.Width = 4096;
            AnsiConsole.Profile.Capabilities.Ansi = false;
            AnsiConsole.Profile.Capabilities.ColorSystem = ColorSystem.NoColors;
        }
        string verdict = report.Verdict switch
        {
            PreflightVerdict.Go => "[green]GO[/]",
            PreflightVerdict.GoWithWarnings => "[yellow]GO with warnings[/]",
            _ => "[red]NO-GO[/]",
        };
        AnsiConsole.MarkupLine($"{verdict}: {Markup.Escape(report.Reference)} → next kernel {Markup.Escape(report.NextRelease)} ({Markup.Escape(report.NextKernel)})");
        foreach (var finding in report.Findings)
        {
            string tag = finding.Severity switch
            {
                FindingSeverity.Ok => "[green]ok   [/]",
                FindingSeverity.Info => "[grey]info [/]",
                FindingSeverity.Warning => "[yellow]warn [/]",
                _ => "[red]ERROR[/]",
            };
            string line = finding.Fix is null
                ? $"{finding.What} — {finding.Why}"
                : $"{finding.What} — {finding.Why} — fix: {finding.Fix}";
            AnsiConsole.MarkupLine($"{tag} {Markup.Escape(finding.Code)}: {Markup.Escape(line)}");
        }
    }
}
