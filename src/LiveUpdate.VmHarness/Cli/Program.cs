// luvm: command line of the VM harness. `kernels` fetches and builds guest kernels, `run NAME`
// boots a scenario (ScenarioNames; the old sN numbers resolve) through a kernel chain and prints the
// step table, `demo` is the main job: the cache demo (CacheDemoDriver) across 7.2 → 7.3, `bench` the
// blackout benchmark, `package` the Debian package of luod and luoctl. Errors are printed as one clear line; exit code 0 = passed.
using System.CommandLine;
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness.Benchmarks;
using LiveUpdate.VmHarness.Demo;
using LiveUpdate.VmHarness.Qemu;
using LiveUpdate.VmHarness.Runs;

namespace LiveUpdate.VmHarness.Cli;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("luvm: builds LiveUpdate guest kernels and runs KHO/LUO scenarios under QEMU.");
        root.Subcommands.Add(KernelsCommand());
        root.Subcommands.Add(RunCommand());
        root.Subcommands.Add(DemoCommand());
        root.Subcommands.Add(BenchCommand());
        root.Subcommands.Add(BenchVmCommand());
        root.Subcommands.Add(BenchCriuCommand());
        root.Subcommands.Add(SoakCommand());
        root.Subcommands.Add(DebianKernelCommand.Create());
        root.Subcommands.Add(PackageCommand.Create());
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
            var harness = ScenarioHarness.FromEnvironment(progress);
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
        var name = new Argument<string?>("scenario")
        {
            Description = $"The scenario to run: {string.Join(", ", ScenarioNames.All)} (the old numbers s1…s13 are accepted too).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var scenario = new Option<string?>("--scenario") { Description = "The scenario, as an option (same as the argument)." };
        var chain = new Option<string>("--chain") { Description = "Comma-separated kernel tags to boot and kexec through, e.g. 7.2,7.3.", Required = true };
        var timeout = new Option<int>("--timeout") { Description = "Hard timeout in seconds.", DefaultValueFactory = _ => (int)VmRunRequest.DefaultTimeout.TotalSeconds };
        var memory = new Option<int>("--memory") { Description = "Guest memory in MiB.", DefaultValueFactory = _ => QemuLaunch.DefaultMemoryMiB };
        var explain = new Option<bool>("--explain") { Description = "Print a walk-through of kernels, steps and what each verified instead of the step table." };
        var quiet = new Option<bool>("--quiet") { Description = "Boot every kernel of the chain with `quiet` (console log level 4): the blackout path with a quiet console." };
        var way = new Option<string>("--way") { Description = $"criu-memcached: how memcached crosses ({string.Join(", ", CriuWays.All)}).", DefaultValueFactory = _ => CriuWays.Memory };
        var mib = new Option<int>("--mib") { Description = "criu-memcached: MiB of items the host loads.", DefaultValueFactory = _ => 16 };
        var command = new Command("run", "Boot a scenario through a kernel chain under QEMU and print the guest's steps.") { name, scenario, chain, timeout, memory, explain, quiet, way, mib };
        command.SetAction((parse, cancellationToken) => GuardedAsync(async progress =>
        {
            var given = parse.GetValue(name) ?? parse.GetValue(scenario)
                ?? throw new HarnessException($"Name the scenario to run: luvm run NAME --chain A,B (NAME one of {string.Join(", ", ScenarioNames.All)}).");
            if (ScenarioNames.Resolve(given) == ScenarioNames.MetricsPrometheus)
            {
                // Its host side (a real Prometheus scraping luod through the port forward) belongs to the run.
                var metrics = await MetricsPrometheusDriver.RunAsync(ScenarioHarness.FromEnvironment(progress), ParseChain(parse.GetRequiredValue(chain)), progress, cancellationToken).ConfigureAwait(false);
                Console.Write(parse.GetValue(explain) ? RunReport.Walkthrough(metrics.Run) : RunReport.Summary(metrics.Run));
                Console.WriteLine(MetricsPrometheusDriver.Describe(metrics));
                return metrics.Run.Passed && metrics.Blackout is not null ? 0 : 1;
            }
            if (ScenarioNames.Resolve(given) == ScenarioNames.CriuMemcached)
            {
                // The host is memcached's client (load, probe, verify): that belongs to the run.
                var criu = await CriuMemcachedDriver.RunAsync(ScenarioHarness.FromEnvironment(progress),
                    new CriuMemcachedOptions(parse.GetRequiredValue(way), parse.GetValue(mib), ParseChain(parse.GetRequiredValue(chain)))
                    {
                        MemoryMiB = parse.GetValue(memory),
                        Timeout = TimeSpan.FromSeconds(parse.GetValue(timeout)),
                    }, progress, cancellationToken).ConfigureAwait(false);
                Console.Write(parse.GetValue(explain) ? RunReport.Walkthrough(criu.Run) : RunReport.Summary(criu.Run));
                Console.WriteLine(criu.Describe());
                return criu.Passed ? 0 : 1;
            }
            var request = new VmRunRequest(ScenarioNames.Resolve(given), ParseChain(parse.GetRequiredValue(chain)))
            {
                Timeout = TimeSpan.FromSeconds(parse.GetValue(timeout)),
                MemoryMiB = parse.GetValue(memory),
                QuietConsole = parse.GetValue(quiet),
            };
            var result = await ScenarioHarness.FromEnvironment(progress).RunScenarioAsync(request, cancellationToken).ConfigureAwait(false);
            Console.Write(parse.GetValue(explain) ? RunReport.Walkthrough(result) : RunReport.Summary(result));
            return result.Passed ? 0 : 1;
        }));
        return command;
    }

    private static Command DemoCommand()
    {
        var workload = new Option<string>("--workload") { Description = "What crosses the update: vm (a QEMU VM run by luqemu, the primary workload) or cache (lucache with a host client reading).", DefaultValueFactory = _ => "vm" };
        var mib = new Option<int?>("--mib") { Description = $"MiB of items to load into the cache (default {CacheDemoOptions.DefaultMib}), or of the VM's RAM (default {VmDemoOptions.DefaultMib})." };
        var chain = new Option<string>("--chain") { Description = "The kernel before and the kernel after the update.", DefaultValueFactory = _ => string.Join(',', CacheDemoOptions.DefaultChain) };
        var verify = new Option<bool>("--verify-ram") { Description = "vm: luqemu also hashes the VM's RAM after the stop and after the claim (inside the blackout)." };
        var command = new Command("demo", "The main job: a QEMU VM keeps its RAM and uptime (or lucache its items) through `luoctl update` 7.2 → 7.3.") { workload, mib, chain, verify };
        command.SetAction((parse, cancellationToken) => GuardedAsync(async progress =>
        {
            string what = parse.GetValue(workload) ?? "vm";
            var kernels = ParseChain(parse.GetValue(chain) ?? "");
            int? size = parse.GetValue(mib);
            if (size is < 1 || kernels.Count != 2)
            {
                throw new HarnessException("Give --mib 1 or more and --chain BEFORE,AFTER (two kernel tags, e.g. 7.2,7.3).");
            }
            if (what == "vm")
            {
                var vm = await VmDemoDriver.RunAsync(ScenarioHarness.FromEnvironment(progress),
                    new VmDemoOptions(size ?? VmDemoOptions.DefaultMib, kernels) { VerifyRam = parse.GetValue(verify) }, progress, cancellationToken).ConfigureAwait(false);
                Console.Write(VmDemoReport.Text(vm));
                return vm.Passed ? 0 : 1;
            }
            if (what != "cache")
            {
                throw new HarnessException($"--workload {what} is not one of cache, vm.");
            }
            var demo = await CacheDemoDriver.RunAsync(ScenarioHarness.FromEnvironment(progress), new CacheDemoOptions(size ?? CacheDemoOptions.DefaultMib, kernels), progress, cancellationToken).ConfigureAwait(false);
            Console.Write(CacheDemoReport.Text(demo));
            return demo.Passed ? 0 : 1;
        }));
        return command;
    }

    private static Command BenchCommand()
    {
        var sizes = new Option<string>("--sizes") { Description = "MiB preserved per case, comma-separated (ours and the old way).", DefaultValueFactory = _ => string.Join(',', BenchPlan.Default.SizesMiB) };
        var oldWaySizes = new Option<string?>("--oldway-sizes") { Description = "MiB for the old way if different from --sizes; 'none' skips the old-way run." };
        var runs = new Option<int>("--runs") { Description = "Repetitions of every case (each figure is their median).", DefaultValueFactory = _ => BenchPlan.Default.Runs };
        var modes = new Option<string>("--modes") { Description = "Page modes of ours: 4k, thp or both.", DefaultValueFactory = _ => string.Join(',', BenchPlan.KnownModes) };
        var luod = new Option<string>("--luod-sessions") { Description = "Session counts for luod's share (10 memfds each); 'none' skips it.", DefaultValueFactory = _ => string.Join(',', BenchPlan.Default.LuodSessions) };
        var luodPath = new Option<string>("--luodpath") { Description = "Page modes of the luodpath case (luod + lucache through `luoctl update`): 4k, thp, 4k,thp (or 1 for both), or none.", DefaultValueFactory = _ => "none" };
        var luodPathSizes = new Option<string?>("--luodpath-sizes") { Description = "MiB lucache holds in the luodpath case if different from --sizes (at most 1900)." };
        var memory = new Option<int>("--memory") { Description = "Guest memory in MiB (2 GiB preserved needs about 6 GiB).", DefaultValueFactory = _ => BenchmarkOptions.DefaultMemoryMiB };
        var kernel = new Option<string>("--kernel") { Description = "The kernel tag both runs boot and kexec into itself.", DefaultValueFactory = _ => "7.3" };
        var output = new Option<string>("--output") { Description = "The markdown report; the .svg plot and .json raw numbers go next to it.", DefaultValueFactory = _ => "docs/benchmarks.md" };
        var levers = new Option<string>("--levers") { Description = "Kernel tags whose floor is also measured with and without each lever (LZ4 initramfs, quiet), e.g. 7.2,7.3; 'none' skips it.", DefaultValueFactory = _ => "none" };
        var command = new Command("bench", "The blackout benchmark: bare kexec, preserved memfds (4 KiB / THP), luod's share, and the old way (disk + cold reboot), on one VM.")
        {
            sizes, oldWaySizes, runs, modes, luod, luodPath, luodPathSizes, memory, kernel, output, levers,
        };
        command.SetAction((parse, cancellationToken) => GuardedAsync(async progress =>
        {
            BenchPlan plan;
            IReadOnlyList<int> oldWay;
            try
            {
                string Word(Option<string> option) => (parse.GetValue(option) ?? "").Replace(" ", "");
                plan = BenchPlan.FromParameters(name => name switch
                {
                    GuestCommandLineKeys.BenchSizes => Word(sizes),
                    GuestCommandLineKeys.BenchRuns => parse.GetValue(runs).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    GuestCommandLineKeys.BenchModes => Word(modes),
                    GuestCommandLineKeys.BenchLuod => Word(luod),
                    GuestCommandLineKeys.BenchLuodPath => Word(luodPath),
                    GuestCommandLineKeys.BenchLuodPathSizes => parse.GetValue(luodPathSizes)?.Replace(" ", ""),
                    _ => null,
                });
                oldWay = parse.GetValue(oldWaySizes) is { } text
                    ? BenchPlan.FromParameters(name => name == GuestCommandLineKeys.BenchSizes ? text.Replace(" ", "") : null).SizesMiB
                    : plan.SizesMiB;
            }
            catch (ArgumentException e)
            {
                throw new HarnessException($"bench: {e.Message}.");
            }
            var leverKernels = parse.GetValue(levers) is { } text2 && text2 != "none" ? ParseChain(text2) : [];
            var options = new BenchmarkOptions(plan, oldWay) { MemoryMiB = parse.GetValue(memory), Kernel = parse.GetRequiredValue(kernel), LeverKernels = leverKernels };
            var outcome = await BlackoutBenchmark.RunAsync(ScenarioHarness.FromEnvironment(progress), options, progress, cancellationToken).ConfigureAwait(false);
            string markdown = Path.GetFullPath(parse.GetRequiredValue(output));
            await BlackoutBenchmark.WriteAsync(outcome.Results, markdown, cancellationToken).ConfigureAwait(false);
            Console.Write(BenchmarkReport.Console(outcome.Results));
            Console.WriteLine($"Report: {markdown} (+ {Path.GetFileName(Path.ChangeExtension(markdown, ".svg"))}, {Path.GetFileName(Path.ChangeExtension(markdown, ".json"))})");
            foreach (var failure in outcome.Failures)
            {
                Console.WriteLine();
                Console.WriteLine("FAILED " + failure);
            }
            Console.WriteLine(outcome.Passed ? "Result: PASSED" : "Result: FAILED");
            return outcome.Passed ? 0 : 1;
        }));
        return command;
    }

    private static Command BenchVmCommand()
    {
        var sizes = new Option<string>("--sizes") { Description = "The VM's RAM per case in MiB, comma-separated.", DefaultValueFactory = _ => string.Join(',', VmBenchmarkOptions.DefaultSizes) };
        var runs = new Option<int>("--runs") { Description = "Repetitions of every case (each figure is their median).", DefaultValueFactory = _ => 1 };
        var floorRuns = new Option<int>("--floor-runs") { Description = "Bare kexecs for the floor.", DefaultValueFactory = _ => 3 };
        var memory = new Option<int>("--memory") { Description = "Test guest memory in MiB.", DefaultValueFactory = _ => BenchmarkOptions.DefaultMemoryMiB };
        var kernel = new Option<string>("--kernel") { Description = "The kernel tag the guest boots and updates (or reboots) into.", DefaultValueFactory = _ => "7.3" };
        var output = new Option<string>("--output") { Description = "The markdown report whose VM section is written (replaced if there).", DefaultValueFactory = _ => "docs/benchmarks.md" };
        var command = new Command("bench-vm", "The VM workload's blackout (vCPU pause → resume): luqemu through luod against the old way (whole VM to disk, cold reboot), with the floor.")
        {
            sizes, runs, floorRuns, memory, kernel, output,
        };
        command.SetAction((parse, cancellationToken) => GuardedAsync(async progress =>
        {
            var sizeList = ParseChain(parse.GetValue(sizes) ?? "").Select(t => int.TryParse(t, out int v) && v > 0 && v <= 4096 ? v : throw new HarnessException($"bench-vm: --sizes: '{t}' is not a size from 1 to 4096 MiB.")).ToList();
            if (sizeList.Count == 0 || parse.GetValue(runs) < 1 || parse.GetValue(floorRuns) < 1) throw new HarnessException("bench-vm: give at least one size, --runs 1 or more and --floor-runs 1 or more.");
            var options = new VmBenchmarkOptions(sizeList, parse.GetValue(runs), parse.GetRequiredValue(kernel)) { MemoryMiB = parse.GetValue(memory), FloorRuns = parse.GetValue(floorRuns) };
            var (samples, _, section) = await VmBenchmark.RunAsync(ScenarioHarness.FromEnvironment(progress), options, progress, cancellationToken).ConfigureAwait(false);
            string markdown = Path.GetFullPath(parse.GetRequiredValue(output));
            string existing = File.Exists(markdown) ? await File.ReadAllTextAsync(markdown, cancellationToken).ConfigureAwait(false) : "";
            await File.WriteAllTextAsync(markdown, VmBenchmark.Merge(existing, section), cancellationToken).ConfigureAwait(false);
            Console.Write(section);
            Console.WriteLine($"Report: {markdown} (its VM section)");
            bool passed = samples.All(s => s.Passed);
            Console.WriteLine(passed ? "Result: PASSED" : "Result: FAILED");
            return passed ? 0 : 1;
        }));
        return command;
    }

    private static Command BenchCriuCommand()
    {
        var sizes = new Option<string>("--sizes") { Description = "MiB of memcached items, comma-separated.", DefaultValueFactory = _ => string.Join(',', CriuBenchmarkOptions.DefaultSizes) };
        var runs = new Option<int>("--runs") { Description = "Repetitions of every case (each figure is their median).", DefaultValueFactory = _ => 1 };
        var floorRuns = new Option<int>("--floor-runs") { Description = "Bare kexecs for the floor.", DefaultValueFactory = _ => 3 };
        var memory = new Option<int>("--memory") { Description = "Test guest memory in MiB.", DefaultValueFactory = _ => BenchmarkOptions.DefaultMemoryMiB };
        var kernel = new Option<string>("--kernel") { Description = "The kernel tag the guest boots and updates (or reboots) into.", DefaultValueFactory = _ => "7.3" };
        var output = new Option<string>("--output") { Description = "The markdown report whose CRIU section is written (replaced if there).", DefaultValueFactory = _ => "docs/benchmarks.md" };
        var command = new Command("bench-criu", "Debian's memcached across the kernel update: CRIU with its images in memfds luod preserves, CRIU to disk with a cold reboot, and lucache's zero-copy arena, with the floor.")
        {
            sizes, runs, floorRuns, memory, kernel, output,
        };
        command.SetAction((parse, cancellationToken) => GuardedAsync(async progress =>
        {
            var sizeList = ParseChain(parse.GetValue(sizes) ?? "").Select(t => int.TryParse(t, out int v) && v > 0 && v <= 2048 ? v : throw new HarnessException($"bench-criu: --sizes: '{t}' is not a size from 1 to 2048 MiB.")).ToList();
            if (sizeList.Count == 0 || parse.GetValue(runs) < 1 || parse.GetValue(floorRuns) < 1) throw new HarnessException("bench-criu: give at least one size, --runs 1 or more and --floor-runs 1 or more.");
            var options = new CriuBenchmarkOptions(sizeList, parse.GetValue(runs), parse.GetRequiredValue(kernel)) { MemoryMiB = parse.GetValue(memory), FloorRuns = parse.GetValue(floorRuns) };
            var (results, _, section) = await CriuBenchmark.RunAsync(ScenarioHarness.FromEnvironment(progress), options, progress, cancellationToken).ConfigureAwait(false);
            string markdown = Path.GetFullPath(parse.GetRequiredValue(output));
            string existing = File.Exists(markdown) ? await File.ReadAllTextAsync(markdown, cancellationToken).ConfigureAwait(false) : "";
            await File.WriteAllTextAsync(markdown, CriuBenchmark.Section.Merge(existing, section), cancellationToken).ConfigureAwait(false);
            Console.Write(section);
            Console.WriteLine($"Report: {markdown} (its CRIU section)");
            bool passed = results.All(r => r.Passed);
            Console.WriteLine(passed ? "Result: PASSED" : "Result: FAILED");
            return passed ? 0 : 1;
        }));
        return command;
    }

    private static Command SoakCommand()
    {
        var hops = new Option<int>("--hops") { Description = "Boots of the chain, alternating 7.2 and 7.3 (hops − 1 kexecs).", DefaultValueFactory = _ => SoakOptions.DefaultHops };
        var seed = new Option<ulong>("--seed") { Description = "The seed every hop derives its sessions from.", DefaultValueFactory = _ => SoakOptions.DefaultSeed };
        var output = new Option<string>("--output") { Description = "The markdown report (per-hop table and summary).", DefaultValueFactory = _ => "docs/soak.md" };
        var command = new Command("soak", "The soak: a seeded chain of kexecs through luod, sessions created, grown, finished and orphaned, every byte checked, luod's RSS and fds per hop.") { hops, seed, output };
        command.SetAction((parse, cancellationToken) => GuardedAsync(async progress =>
        {
            var options = new SoakOptions(parse.GetValue(hops), parse.GetValue(seed));
            var result = await SoakBenchmark.RunAsync(ScenarioHarness.FromEnvironment(progress), options, progress, cancellationToken).ConfigureAwait(false);
            string markdown = Path.GetFullPath(parse.GetRequiredValue(output));
            string report = SoakBenchmark.Markdown(result);
            await File.WriteAllTextAsync(markdown, report, cancellationToken).ConfigureAwait(false);
            Console.Write(report);
            if (!result.Run.Passed) Console.Write(result.Run.FailureSummary);
            Console.WriteLine($"Report: {markdown}");
            Console.WriteLine(result.Passed ? "Result: PASSED" : "Result: FAILED");
            return result.Passed ? 0 : 1;
        }));
        return command;
    }

    private static IReadOnlyList<string> ParseChain(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Runs a command body with progress on stderr; harness errors become one "luvm: error:" line and exit code 2.</summary>
    internal static async Task<int> GuardedAsync(Func<IProgress<string>, Task<int>> body)
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
