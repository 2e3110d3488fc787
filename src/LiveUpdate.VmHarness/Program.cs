// luvm: command line of the VM harness. `kernels` fetches and builds guest kernels, `run` boots a
// scenario through a kernel chain and prints the step table, `demo` runs s1 on 7.2 → 7.3 and
// explains what happened. Errors are printed as one clear line; exit code 0 = passed.
using System.CommandLine;

namespace LiveUpdate.VmHarness;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("luvm: builds LiveUpdate guest kernels and runs KHO/LUO scenarios under QEMU.");
        root.Subcommands.Add(KernelsCommand());
        root.Subcommands.Add(RunCommand());
        root.Subcommands.Add(DemoCommand());
        root.Subcommands.Add(DebianKernelCommand.Create());
        using var signals = new TerminationSignals();
        var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null };
        return await root.Parse(args).InvokeAsync(invocation, signals.Token).ConfigureAwait(false);
    }

    private static Command KernelsCommand()
    {
        var series = new Option<string[]>("--series")
        {
            Description = "Kernel series to prepare, repeatable; SERIES or SERIES=PACKAGE-VERSION (e.g. 7.2=7.2.13-1).",
            DefaultValueFactory = _ => ["7.2", "7.3"],
        };
        var command = new Command("kernels", "Fetch linux-source through the private apt configuration and build the guest kernels (cached).") { series };
        command.SetAction((parse, cancellationToken) => GuardedAsync(async progress =>
        {
            var harness = VmHarness.FromEnvironment(progress);
            foreach (var spec in parse.GetValue(series) ?? [])
            {
                var parts = spec.Split('=', 2);
                var kernel = await harness.EnsureKernelAsync(parts[0], parts.Length > 1 ? parts[1] : null, progress, cancellationToken).ConfigureAwait(false);
                Console.WriteLine($"{kernel.Series}\t{kernel.Release}\t{kernel.PackageVersion}\t{kernel.Directory}");
            }
            return 0;
        }));
        return command;
    }

    private static Command RunCommand()
    {
        var scenario = new Option<string>("--scenario") { Description = "Scenario name passed to lu-guest (s1, s2, ...).", Required = true };
        var chain = new Option<string>("--chain") { Description = "Comma-separated kernel tags to boot and kexec through, e.g. 7.2,7.3.", Required = true };
        var timeout = new Option<int>("--timeout") { Description = "Hard timeout in seconds.", DefaultValueFactory = _ => (int)VmRunRequest.DefaultTimeout.TotalSeconds };
        var memory = new Option<int>("--memory") { Description = "Guest memory in MiB.", DefaultValueFactory = _ => QemuLaunch.DefaultMemoryMiB };
        var command = new Command("run", "Boot a scenario through a kernel chain under QEMU and print the guest's steps.") { scenario, chain, timeout, memory };
        command.SetAction((parse, cancellationToken) => GuardedAsync(async progress =>
        {
            var request = new VmRunRequest(parse.GetRequiredValue(scenario), ParseChain(parse.GetRequiredValue(chain)))
            {
                Timeout = TimeSpan.FromSeconds(parse.GetValue(timeout)),
                MemoryMiB = parse.GetValue(memory),
            };
            var result = await VmHarness.FromEnvironment(progress).RunScenarioAsync(request, cancellationToken).ConfigureAwait(false);
            Console.Write(RunReport.Summary(result));
            return result.Passed ? 0 : 1;
        }));
        return command;
    }

    private static Command DemoCommand()
    {
        var command = new Command("demo", "Run scenario s1 across 7.2 → 7.3 and explain every step.");
        command.SetAction((parse, cancellationToken) => GuardedAsync(async progress =>
        {
            var result = await VmHarness.FromEnvironment(progress)
                .RunScenarioAsync(new VmRunRequest("s1", ["7.2", "7.3"]), cancellationToken).ConfigureAwait(false);
            Console.Write(RunReport.Demo(result));
            return result.Passed ? 0 : 1;
        }));
        return command;
    }

    private static IReadOnlyList<string> ParseChain(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Runs a command body with progress on stderr; harness errors become one "luvm: error:" line and exit code 2.</summary>
    private static async Task<int> GuardedAsync(Func<IProgress<string>, Task<int>> body)
    {
        try
        {
            return await body(new ConsoleProgress(Console.Error)).ConfigureAwait(false);
        }
        catch (HarnessException e)
        {
            await Console.Error.WriteLineAsync($"luvm: error: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("luvm: cancelled.").ConfigureAwait(false);
            return 130;
        }
    }
}
