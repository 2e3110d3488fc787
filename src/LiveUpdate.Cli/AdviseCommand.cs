// AdviseCommand: `luoctl advise [--kernel K] [--initrd I] [--append A] [--json]` — for this
// machine and the next kernel, each blackout lever: does it apply, what it costs now (and where
// the number comes from), and the exact change. The machine is read through the kernel boundary
// (MachineFactsReader), luod's sessions over Varlink; BlackoutAdvisor does the weighing.
// Exit codes: 0 advice printed, 12 the next kernel image cannot be read or found.
using System.CommandLine;
using System.Text.Json;
using LiveUpdate.Client;
using LiveUpdate.Kernel;
using LiveUpdate.Preflight;
using LiveUpdate.Preflight.Advice;
using Spectre.Console;

namespace LiveUpdate.Cli;

internal static class AdviseCommand
{
    /// <summary>The initramfs this boot came from, kept by `retain_initrd` (what a kexec with the same initramfs loads again).</summary>
    public const string RetainedInitrd = "/sys/firmware/initrd";

    public static Command Create()
    {
        var kernel = new Option<string?>("--kernel") { Description = "The next kernel image (default: the newest /boot/vmlinuz-*)" };
        var initrd = new Option<string?>("--initrd") { Description = $"The next kernel's initrd (default: /boot/initrd.img-<next release>, else {RetainedInitrd})" };
        var append = new Option<string?>("--append") { Description = "The next kernel's command line (default: the running one, /proc/cmdline)" };
        var socket = LuodConnection.SocketOption();
        var json = new Option<bool>("--json") { Description = "Print the advice as JSON" };
        var command = new Command("advise", "For this machine and the next kernel: each blackout lever, what it costs now and how to change it")
        {
            kernel, initrd, append, socket, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string? kernelPath = parse.GetValue(kernel) ?? NewestBootImage();
            if (kernelPath is null)
            {
                Console.Error.WriteLine("luoctl: advise: no next kernel: /boot has no vmlinuz-* image. Pass the bzImage you will update to with --kernel FILE.");
                return LuoctlExitCodes.UnreadableImage;
            }
            KernelImage next;
            try { next = KernelImage.Read(kernelPath); }
            catch (KernelImageException e)
            {
                Console.Error.WriteLine($"luoctl: advise: cannot read the next kernel image: {e.Message}");
                return LuoctlExitCodes.UnreadableImage;
            }

            string? initrdPath = parse.GetValue(initrd) ?? DefaultInitrd(next.Release);
            long? initrdBytes = null;
            if (initrdPath is not null)
            {
                try { initrdBytes = FileLength(initrdPath); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    Console.Error.WriteLine($"luoctl: advise: cannot read the initrd {initrdPath}: {e.Message} Pass an existing file with --initrd.");
                    return LuoctlExitCodes.UnreadableImage;
                }
            }

            var machine = MachineFactsReader.ReadRunning();
            machine = await WithLuodSessionsAsync(machine, parse.GetValue(socket)!, cancellationToken);
            var nextCommandLine = parse.GetValue(append) is { } text ? new KernelCommandLine(text) : machine.CommandLine ?? new KernelCommandLine("");
            var report = BlackoutAdvisor.Advise(machine, new AdviceRequest(next, nextCommandLine, initrdPath, initrdBytes,
                initrdPath is null ? null : InitramfsFormat.TryDetect(initrdPath)));

            if (parse.GetValue(json))
                Console.Out.WriteLine(JsonSerializer.Serialize(report, AdviceJsonContext.Readable.AdviceReport));
            else
                Render(report);
            return LuoctlExitCodes.Success;
        });
        return command;
    }

    /// <summary>luod's sessions (every owner's when allowed), or why they could not be listed.</summary>
    private static async Task<MachineFacts> WithLuodSessionsAsync(MachineFacts machine, string socket, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            await using var client = await LiveUpdateClient.ConnectAsync(socket, timeout.Token);
            IReadOnlyList<SessionInfo> sessions;
            try { sessions = await client.ListSessionsAsync(all: true, timeout.Token); }
            catch (LiveUpdate.Client.Errors.LiveUpdateClientException) { sessions = await client.ListSessionsAsync(all: false, timeout.Token); }
            return machine with { PreservedBytes = sessions.Sum(s => s.PreservedBytes), PreservedSessions = sessions.Count };
        }
        catch (Exception e) when (e is LiveUpdate.Client.Errors.LiveUpdateClientException or LiveUpdate.Client.Errors.LuodUnavailableException or OperationCanceledException or IOException)
        {
            return machine with { LuodProblem = $"luod at {socket}: {e.Message.Trim()}" };
        }
    }

    private static string? NewestBootImage()
    {
        try
        {
            return Directory.Exists("/boot")
                ? new DirectoryInfo("/boot").EnumerateFiles("vmlinuz-*").OrderByDescending(f => f.LastWriteTimeUtc).FirstOrDefault()?.FullName
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private static string? DefaultInitrd(string nextRelease)
    {
        string boot = $"/boot/initrd.img-{nextRelease}";
        if (File.Exists(boot)) return boot;
        return File.Exists(RetainedInitrd) ? RetainedInitrd : null;
    }

    /// <summary>The file's size; a sysfs file that reports none is read through.</summary>
    private static long FileLength(string path)
    {
        long length = new FileInfo(path).Length;
        if (length > 0) return length;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        var buffer = new byte[1 << 20];
        long total = 0;
        for (int read; (read = stream.Read(buffer)) > 0;) total += read;
        return total;
    }

    private static void Render(AdviceReport report)
    {
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Profile.Width = 4096;
            AnsiConsole.Profile.Capabilities.Ansi = false;
            AnsiConsole.Profile.Capabilities.ColorSystem = ColorSystem.NoColors;
        }
        var facts = report.Facts;
        AnsiConsole.MarkupLine(Markup.Escape($"Blackout advice: running {facts.RunningRelease ?? "(unknown)"} → next kernel {facts.NextRelease} ({facts.NextKernel}, {facts.Payload}), initrd {facts.Initrd ?? "none"}"));
        foreach (var finding in report.Findings)
        {
            string tag = finding.Applies ? "[yellow]applies[/]" : "[grey]n/a    [/]";
            AnsiConsole.MarkupLine($"{tag} {Markup.Escape(finding.Lever)}: {Markup.Escape(finding.Now)}");
            AnsiConsole.MarkupLine(Markup.Escape($"        cost: {finding.Cost} [{SourceText(finding)}]"));
            if (finding.Applies)
                AnsiConsole.MarkupLine(Markup.Escape($"        change: {finding.Change}"));
        }
    }

    private static string SourceText(BlackoutFinding finding) => finding.Source switch
    {
        CostSource.MeasuredHere => "measured here" + (finding.SourceDetail.Length > 0 ? ": " + finding.SourceDetail : ""),
        CostSource.MeasuredInBenchmarks => "measured in " + finding.SourceDetail,
        CostSource.EstimatedFromRate => "estimated from a rate: " + finding.SourceDetail,
        _ => "not measured" + (finding.SourceDetail.Length > 0 ? ": " + finding.SourceDetail : ""),
    };
}
