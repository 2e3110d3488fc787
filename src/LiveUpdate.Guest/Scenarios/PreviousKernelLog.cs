// PreviousKernelLog (scenario previous-kernel-log): the previous kernel's log kept in RAM across a real
// kexec. Every test guest boots with ramoops in a memmap= region (ScenarioCommandLine.KernelLogInRamOptions)
// and guest-init.sh mounts pstore; run with `luvm run previous-kernel-log --quiet` the console prints
// only warnings, so the lines exist only in the log buffer, which kernel_kexec() dumps to ramoops at
// KMSG_DUMP_SHUTDOWN. Before (7.2): luod, one SDK participant (8 MiB of seeded bytes), `luoctl update`.
// After (7.3): pstore holds 7.2's dump ending in "Starting new kernel"; the participant claims and checks
// SHA-256; `luoctl report` shows 7.2's shutdown lines, from pstore, in its kernel handover.
using System.Text.Json.Nodes;
using LiveUpdate.GuestContract;

namespace LiveUpdate.Guest.Scenarios;

public sealed class PreviousKernelLog(GuestPlan plan, ResultChannel results)
{
    private const string Pstore = "/sys/fs/pstore";
    private const string Participant = StepNames.PreviousKernelLog.ParticipantName;
    private const int Mib = 8;
    private const ulong Seed = 97;

    public async Task<bool> RunAsync()
    {
        if (!await results.StepAsync(StepNames.PreviousKernelLog.Configured, DescribeConfigurationAsync)) return false;
        if (!await results.StepAsync(StepNames.PreviousKernelLog.LuodStart, async () =>
            {
                var (luod, ready) = await LuodProcess.StartAsync("--OrphanGrace=00:10:00");
                return $"luod pid {luod.Process.Id} ready in {ready.TotalMilliseconds:F0} ms";
            }))
            return false;
        return plan.IsFirstHop ? await BeforeAsync() : await AfterAsync();
    }

    private static async Task<string> DescribeConfigurationAsync()
    {
        string mounts = await File.ReadAllTextAsync("/proc/mounts");
        if (!mounts.Split('\n').Any(l => l.Split(' ') is [_, Pstore, "pstore", ..]))
            throw new InvalidOperationException($"pstore is not mounted on {Pstore} (vm/guest-init.sh mounts it)");
        string Parameter(string name) => File.ReadAllText($"/sys/module/ramoops/parameters/{name}").Trim();
        string memSize = Parameter("mem_size");
        if (memSize == "0") throw new InvalidOperationException("ramoops has no memory (ramoops.mem_size=0): the memmap=/ramoops.* options are not on the command line");
        string printk = (await File.ReadAllTextAsync("/proc/sys/kernel/printk")).Split('\t', ' ')[0];
        string records = string.Join(", ", new DirectoryInfo(Pstore).GetFiles().Select(f => $"{f.Name} ({f.Length} B)"));
        return $"ramoops mem_address {Parameter("mem_address")}, mem_size {memSize}, record_size {Parameter("record_size")}, "
            + $"console_size {Parameter("console_size")}, max_reason {Parameter("max_reason")}; console log level {printk}; records now: {(records.Length > 0 ? records : "none")}";
    }

    private async Task<bool> BeforeAsync()
    {
        if (!await results.StepAsync(StepNames.PreviousKernelLog.Participant, async () =>
            {
                await UpdateParticipantProcess.StartAsync(Participant, Mib, Seed);
                return $"{Participant}: {Mib} MiB preserved, subscribed";
            }))
            return false;
        return await results.StepAsync(StepNames.PreviousKernelLog.Update, async () =>
        {
            await LuodProcess.UpdateThroughLuodAsync(plan, results, () => File.Exists(UpdateParticipantProcess.LogOf(Participant))
                ? File.ReadAllText(UpdateParticipantProcess.LogOf(Participant)).Trim() : "(no participant log)");
            return "";
        });
    }

    private async Task<bool> AfterAsync()
    {
        bool ok = await results.StepAsync(StepNames.PreviousKernelLog.Records, async () =>
        {
            var dumps = new DirectoryInfo(Pstore).GetFiles("dmesg-ramoops-*").OrderBy(f => f.LastWriteTimeUtc).ToList();
            if (dumps.Count == 0)
                throw new InvalidOperationException($"{Pstore} holds no kmsg dump of the previous kernel: {string.Join(", ", Directory.GetFiles(Pstore))}");
            string newest = await File.ReadAllTextAsync(dumps[^1].FullName);
            if (!newest.Contains("kexec_core: Starting new kernel", StringComparison.Ordinal))
                throw new InvalidOperationException($"{dumps[^1].Name} lacks \"Starting new kernel\": {newest[^Math.Min(newest.Length, 2000)..]}");
            var tail = newest.TrimEnd().Split('\n').TakeLast(12);
            return $"{string.Join(", ", Directory.GetFiles(Pstore).Select(Path.GetFileName))}; {dumps[^1].Name} ({dumps[^1].Length} B) ends:\n{string.Join('\n', tail)}";
        });
        ok &= await results.StepAsync(StepNames.PreviousKernelLog.Resume, async () =>
        {
            var (code, output) = await UpdateParticipantProcess.ResumeAsync(Participant, Mib, Seed);
            if (code != 0) throw new InvalidOperationException($"participant {Participant} exited {code}: {output}");
            return output;
        });
        ok &= await results.StepAsync(StepNames.PreviousKernelLog.ShutdownLines, WaitForShutdownLinesAsync);
        ok &= await results.StepAsync(StepNames.PreviousKernelLog.Table, async () =>
        {
            string table = await LuodProcess.LuoctlOkAsync("report");
            if (!table.Contains("previous kernel: Starting new kernel", StringComparison.Ordinal))
                throw new InvalidOperationException($"the report table has no previous-kernel lines: {table}");
            return table;
        });
        return ok;
    }

    /// <summary>luod merges the kernel logs once it serves, off the restore path: poll the report until they are in.</summary>
    private static async Task<string> WaitForShutdownLinesAsync()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string json = "";
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            json = await LuodProcess.LuoctlOkAsync("report", "--json");
            var report = JsonNode.Parse(json)!;
            var lines = report["handover"]?["previousKernelLines"]?.AsArray() ?? [];
            bool shutdownFromPstore = (report["events"]?.AsArray() ?? []).Any(e =>
                e!["name"]?.GetValue<string>() == "kernel.shutdown" && e["source"]?.GetValue<string>() == "pstore");
            // 7.2/7.3 log nothing else at shutdown in this guest (LUO and KHO serialise silently): the merged lines may be
            // only "Starting new kernel", which the handover has as its own step.
            if (shutdownFromPstore)
            {
                var anomalies = report["anomalies"]?.AsArray() ?? [];
                if (anomalies.Count > 0) throw new InvalidOperationException($"the report has anomalies: {anomalies.ToJsonString()}");
                return json;
            }
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
        throw new TimeoutException($"after 60 s the report still has no \"Starting new kernel\" from pstore: {json}");
    }
}
