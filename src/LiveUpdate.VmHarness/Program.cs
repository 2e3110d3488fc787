// luvm: command line of the VM harness. `kernels` fetches and builds guest kernels, `run` boots a
// scenario through a kernel chain and prints the step table, `demo` is the main job: the cache demo
// (CacheDemo) across 7.2 → 7.3. Errors are printed as one clear line; exit code 0 = passed.
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
        var explain = new Option<bool>("--explain") { Description = "Print a walk-through of kernels, steps and what each verified instead of the step table." };
        var command = new Command("run", "Boot a scenario through a kernel chain under QEMU and print the guest's steps.") { scenario, chain, timeout, memory, explain };
        command.SetAction((parse, cancellationToken) => GuardedAsync(async progress =>
        {
            var request = new VmRunRequest(parse.GetRequiredValue(scenario), ParseChain(parse.GetRequiredValue(chain)))
            {
                Timeout = TimeSpan.FromSeconds(parse.GetValue(timeout)),
                MemoryMiB = parse.GetValue(memory),
            };
            var result = await VmHarness.FromEnvironment(progress).RunScenarioAsync(request, cancellationToken).ConfigureAwait(false);
            Console.Write(parse.GetValue(explain) ? RunReport.Walkthrough(result) : RunReport.Summary(result));
            return result.Passed ? 0 : 1;
        }));
        return command;
    }

    private static Command DemoCommand()
    {
        var mib = new Option<int>("--mib") { Description = "MiB of items to load into the cache before the update.", DefaultValueFactory = _ => CacheDemoOptions.DefaultMib };
        var chain = new Option<string>("--chain") { Description = "The kernel before and the kernel after the update.", DefaultValueFactory = _ => string.Join(',', CacheDemoOptions.DefaultChain) };
        var command = new Command("demo", "The main job: lucache keeps its items through `luoctl update` 7.2 → 7.3 while a client on the host keeps reading.") { mib, chain };
        command.SetAction((parse, cancellationToken) => GuardedAsync(async progress =>
        {
            var items = parse.GetValue(mib);
            var kernels = ParseChain(parse.GetValue(chain) ?? "");
            if (items < 1 || kernels.Count != 2)
            {
                throw new HarnessException("Give --mib 1 or more and --chain BEFORE,AFTER (two kernel tags, e.g. 7.2,7.3).");
            }
            var demo = await CacheDemo.RunAsync(VmHarness.FromEnvironment(progress), new CacheDemoOptions(items, kernels), progress, cancellationToken).ConfigureAwait(false);
            Console.Write(CacheDemoReport.Text(demo));
            return demo.Passed ? 0 : 1;
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
