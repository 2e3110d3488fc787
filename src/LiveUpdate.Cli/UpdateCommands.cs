// UpdateCommands: luoctl's verbs for the orchestrated live update through luod —
// `update` (check → stage → prepare → freeze → reboot, progress printed as it happens),
// `cancel` (until freeze) and `report` (the blackout of the last updates: table, JSON, SVG;
// with --openmetrics luod's metric families, the same luod serves on MetricsListen).
// Exit codes: LuoctlExitCodes (update never returns on success; every failure is non-zero, no reboot).
using System.CommandLine;
using LiveUpdate.Metrics;
using LiveUpdate.Protocol;
using LiveUpdate.Telemetry;

namespace LiveUpdate.Cli;

internal static class UpdateCommands
{
    public static IEnumerable<Command> Create() => [Update(), Cancel(), Report()];

    private static Command Update()
    {
        var socket = LuodConnection.SocketOption();
        var kernel = new Option<FileInfo>("--kernel") { Description = "The next kernel (bzImage)", Required = true };
        var initrd = new Option<FileInfo?>("--initrd") { Description = "Its initramfs" };
        var append = new Option<string?>("--append") { Description = "The next kernel's command line" };
        var reuse = new Option<bool>("--reuse-cmdline") { Description = "Boot the next kernel with this kernel's command line" };
        var timeout = new Option<double>("--timeout") { Description = "Seconds each participant gets to prepare and to freeze", DefaultValueFactory = _ => 30 };
        var rebootWait = new Option<double>("--reboot-wait")
        {
            Description = "Seconds to wait for the machine to go down once luod says it is rebooting, before exiting 14 (the reboot returned)",
            DefaultValueFactory = _ => 60,
        };
        var command = new Command("update",
            "Live-update the kernel through luod: check, stage, have every participant prepare and freeze, reboot. " +
            "On success it never returns (the kernel is replaced); every failure exits non-zero without a reboot, so kured can run it as --reboot-command.\n\n" +
            LuoctlExitCodes.HelpText())
        {
            socket, kernel, initrd, append, reuse, timeout, rebootWait,
        };
        command.SetAction((parse, ct) =>
        {
            string? commandLine = parse.GetValue(append);
            bool reuseCommandLine = parse.GetValue(reuse);
            if (commandLine is null == !reuseCommandLine)
            {
                Console.Error.WriteLine("luoctl: give exactly one of --append \"...\" or --reuse-cmdline (the next kernel needs kho=on liveupdate=on)");
                return Task.FromResult(LuoctlExitCodes.Usage);
            }
            return LuodConnection.RunAsync(parse.GetValue(socket)!, async client =>
            {
                var started = DateTime.UtcNow;
                var prepareTimeout = TimeSpan.FromMilliseconds((int)(parse.GetValue(timeout) * 1000));
                bool rebooting = false;
                // luod going away mid-call (even after "rebooting") is LuodUnreachable (4), from LuodConnection, at once.
                await foreach (var progress in client.UpdateAsync(parse.GetValue(kernel)!.FullName, parse.GetValue(initrd)?.FullName, commandLine,
                                   reuseCommandLine, prepareTimeout, ct))
                {
                    Console.WriteLine($"[{(DateTime.UtcNow - started).TotalSeconds,6:F2} s] {progress.Phase.ToWireName(),-9} {progress.Message}");
                    if (progress.Findings is { } findings)
                        foreach (var finding in findings) Console.WriteLine($"           {finding}");
                    rebooting |= progress.Phase == UpdateProgressPhase.Rebooting;
                }
                return await AfterRebootReturnedAsync(rebooting, TimeSpan.FromSeconds(parse.GetValue(rebootWait)), ct);
            }, ct);
        });
        return command;
    }

    /// <summary>
    /// The update's call ended without an error, yet luoctl still runs: a real kexec never lets it get here.
    /// Waits for the machine to go down (systemd's kexec.target takes a moment), then says so with its own code.
    /// </summary>
    private static async Task<int> AfterRebootReturnedAsync(bool rebooting, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (rebooting && wait > TimeSpan.Zero) await Task.Delay(wait, cancellationToken);
        Console.Error.WriteLine(rebooting
            ? $"luoctl: luod said it was rebooting, but this kernel is still running {wait.TotalSeconds:F0} s later: no kexec happened. " +
              "Check luod's log (journalctl -u luod) and /sys/kernel/kexec_loaded, then run the update again."
            : "luoctl: luod ended the update without rebooting and without an error; no kexec happened. Check luod's log (journalctl -u luod).");
        return LuoctlExitCodes.RebootReturned;
    }

    private static Command Cancel()
    {
        var socket = LuodConnection.SocketOption();
        var reason = new Option<string?>("--reason") { Description = "Why (shown to the participants and the update's caller)" };
        var command = new Command("cancel", "Cancel the live update in progress (until freeze); every participant resumes") { socket, reason };
        command.SetAction((parse, ct) => LuodConnection.RunAsync(parse.GetValue(socket)!, async client =>
        {
            await client.CancelUpdateAsync(parse.GetValue(reason), ct);
            Console.WriteLine("update cancelled; participants resume");
        }, ct));
        return command;
    }

    private static Command Report()
    {
        var socket = LuodConnection.SocketOption();
        var json = new Option<bool>("--json") { Description = "Print the report as JSON" };
        var svg = new Option<FileInfo?>("--svg") { Description = "Also write the timeline as an SVG image here" };
        var openMetrics = new Option<bool>("--openmetrics") { Description = "Write luod's metrics (sessions, custody, preflight, kexec count, the updates' phases and blackouts) as OpenMetrics text, as luod serves them on MetricsListen" };
        var prometheusText = new Option<bool>("--prometheus-text") { Description = "With --openmetrics: the Prometheus text format 0.0.4 instead of OpenMetrics (what node_exporter's textfile collector and promtool parse)" };
        var output = new Option<FileInfo?>("--output") { Description = "With --openmetrics: write to this file atomically (temporary file + rename), e.g. for node_exporter's textfile collector" };
        var command = new Command("report", "The blackout of the last live update: phases across both kernels, per participant") { socket, json, svg, openMetrics, output, prometheusText };
        command.SetAction((parse, ct) => LuodConnection.RunAsync(parse.GetValue(socket)!, async client =>
        {
            if (parse.GetValue(openMetrics))
            {
                var snapshot = MetricsSnapshot.From(await client.GetMetricsAsync(ct), await client.GetUpdatesAsync(ct));
                string metrics = await LuodMetricFamilies.RenderAsync(snapshot, ct, parse.GetValue(prometheusText));
                if (parse.GetValue(output) is { } file)
                {
                    await OpenMetricsFile.WriteAtomicallyAsync(file.FullName, metrics, ct);
                    Console.WriteLine($"metrics written to {file.FullName}");
                }
                else Console.Write(metrics);
                return LuoctlExitCodes.Success;
            }
            if (parse.GetValue(output) is not null || parse.GetValue(prometheusText))
            {
                Console.Error.WriteLine("luoctl: --output and --prometheus-text go with --openmetrics (use --svg FILE for the timeline)");
                return LuoctlExitCodes.Usage;
            }
            var updates = await client.GetUpdatesAsync(ct);
            string? text = updates.Completed.Count > 0 ? updates.Completed[^1] : updates.Pending;
            if (text is null)
            {
                Console.Error.WriteLine("luoctl: luod has no live update on record yet (reports start with `luoctl update`)");
                return LuoctlExitCodes.NoReport;
            }
            var report = UpdateReport.From(TelemetryJson.DeserializeTimeline(text));
            if (parse.GetValue(json)) Console.WriteLine(TelemetryJson.Serialize(report));
            else Console.WriteLine(ReportTable.From(report).ToText());
            if (parse.GetValue(svg) is { } target)
            {
                await System.IO.File.WriteAllTextAsync(target.FullName, TimelineSvg.Render(report), ct);
                Console.WriteLine($"timeline written to {target.FullName}");
            }
            return LuoctlExitCodes.Success;
        }, ct));
        return command;
    }
}
