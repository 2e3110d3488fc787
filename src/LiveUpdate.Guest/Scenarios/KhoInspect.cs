// KhoInspect (scenario kho-inspect): `luoctl kho --json` read against the real kernel on every
// hop of a chain through luod. Cold boot: no incoming state, scratch areas present, the outgoing
// LUO header at live update #1 with sessions_pa still 0 (the reboot serializes the sessions),
// and the outgoing kexec-metadata naming this kernel's release with kexec count 1. After each
// kexec: the incoming KHO tree and its record of LUO's header (whose page the kernel has freed by
// then), the outgoing LUO at live update #hop + 1, the previous kernel's release (the chain's previous series) and kexec count = hop, and the
// outgoing metadata counting on. Two clients' memfds (a managed 3 MiB file, a delegated 5 MiB
// memfd) cross each kexec and are checked by SHA-256 after the claim. Every hop also reports the
// raw debugfs blobs (Capture, "path=base64 …"), the golden samples of the host tests.
using System.Text;
using System.Text.Json.Nodes;
using LiveUpdate.GuestContract;
using Steps = LiveUpdate.GuestContract.StepNames.KhoInspect;

namespace LiveUpdate.Guest.Scenarios;

public sealed class KhoInspect(GuestPlan plan, ResultChannel results)
{
    private const string KhoDebugfs = "/sys/kernel/debug/kho";
    private const long BytesA = 3L << 20, BytesB = 5L << 20;
    private const ulong SeedA = 0x4B40_000A, SeedB = 0x4B40_000B, TokenB = 11;
    private const string SessionA = "kho-a", SessionB = "kho-b";

    public async Task<bool> RunAsync()
    {
        if (!await results.StepAsync(Steps.LuodStart, async () =>
            {
                var (luod, ready) = await LuodProcess.StartAsync("--OrphanGrace=00:10:00");
                return $"luod pid {luod.Process.Id} ready in {ready.TotalMilliseconds:F0} ms";
            }))
            return false;

        bool ok = true;
        if (plan.IsFirstHop && !plan.IsLastHop) ok = await PreserveAsync();
        if (!ok) return false;
        ok &= await results.StepAsync(Steps.Inspect, InspectAsync);
        ok &= await results.StepAsync(Steps.Table, async () =>
        {
            string table = await LuodProcess.LuoctlOkAsync("kho");
            if (!table.Contains("scratch areas", StringComparison.Ordinal)) throw new InvalidOperationException($"luoctl kho printed no scratch table: {table}");
            return table;
        });
        ok &= await results.StepAsync(Steps.Capture, CaptureAsync);
        if (!plan.IsFirstHop)
        {
            ok &= await results.StepAsync(Steps.Claim, async () =>
            {
                string a = await ReferenceClients.LuoctlRetrieveAndCheckAsync(SessionA, "data", SeedA, BytesA);
                await LuodProcess.LuoctlOkAsync("finish", "--session", SessionA);
                string b = await ReferenceClients.DelegatedClaimCheckFinishAsync(SessionB, TokenB, SeedB, BytesB);
                return $"{a}; finished | {b}";
            });
        }
        if (!ok || plan.IsLastHop) return ok;

        if (!plan.IsFirstHop && !await PreserveAsync()) return false;
        return await results.StepAsync(Steps.Kexec, async () =>
        {
            await LuodProcess.KexecThroughLuodAsync(plan, results);
            return "unreachable";
        });
    }

    private Task<bool> PreserveAsync() => results.StepAsync(Steps.Preserve, async () =>
    {
        string a = await ReferenceClients.LuoctlPreserveAsync(SessionA, "data", SeedA, BytesA);
        string b = await ReferenceClients.DelegatedPreserveAsync(SessionB, TokenB, SeedB, BytesB);
        return $"{a} | {b}";
    });

    private async Task<string> InspectAsync()
    {
        string json = await LuodProcess.LuoctlOkAsync("kho", "--json");
        var state = JsonNode.Parse(json)!;
        string release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        var facts = new List<string>();

        Expect(state["release"]!.GetValue<string>() == release, $"release {state["release"]} is not the running {release}");
        var scratch = state["outgoing"]!["scratchAreas"]!.AsArray();
        Expect(scratch.Count > 0 && scratch.All(a => a!["length"]!.GetValue<ulong>() > 0), $"no scratch area with a length: {scratch.ToJsonString()}");
        facts.Add($"{scratch.Count} scratch area(s), {scratch.Sum(a => (double)a!["length"]!.GetValue<ulong>()) / 1048576:F0} MiB");

        var outLuo = Subtree(state["outgoing"]!, "LUO")["luo"] ?? throw new InvalidOperationException($"outgoing LUO not decoded: {json}");
        Expect(outLuo["compatible"]!.GetValue<string>().StartsWith("luo-v", StringComparison.Ordinal), $"outgoing LUO compatible {outLuo["compatible"]}");
        Expect(outLuo["liveUpdateNumber"]!.GetValue<ulong>() == (ulong)plan.Hop + 1, $"outgoing live update number {outLuo["liveUpdateNumber"]}, expected {plan.Hop + 1}");
        Expect(outLuo["sessionsPhysicalAddress"]!.GetValue<ulong>() == 0, $"outgoing sessions_pa {outLuo["sessionsPhysicalAddress"]} before the reboot serialized anything");
        var outMetadata = Subtree(state["outgoing"]!, "kexec-metadata")["kexecMetadata"] ?? throw new InvalidOperationException($"outgoing kexec-metadata not decoded: {json}");
        Expect(outMetadata["previousRelease"]!.GetValue<string>() == release, $"outgoing kexec-metadata release {outMetadata["previousRelease"]} is not {release}");
        Expect(outMetadata["kexecCount"]!.GetValue<uint>() == (uint)plan.Hop + 1, $"outgoing kexec count {outMetadata["kexecCount"]}, expected {plan.Hop + 1}");
        facts.Add($"out: {outLuo["compatible"]} #{outLuo["liveUpdateNumber"]} sessions_pa=0, next kernel will see release {release} kexec count {plan.Hop + 1}");
        facts.Add($"out FDT: {state["outgoing"]!["compatible"]?.ToString() ?? "-"} ({state["outgoing"]!["fdtProblem"]?.ToString() ?? "read whole"})");

        if (plan.IsFirstHop)
        {
            Expect(state["bootedByHandover"]!.GetValue<bool>() == false && state["incoming"] is null, "a cold boot shows incoming KHO state");
            Expect(state["previousKernel"] is null, "a cold boot names a previous kernel");
            facts.Add("cold boot: no incoming state");
        }
        else
        {
            var incoming = state["incoming"] ?? throw new InvalidOperationException($"no incoming state after a kexec: {json}");
            Expect(incoming["compatible"]?.GetValue<string>().StartsWith("kho-v", StringComparison.Ordinal) == true, $"incoming FDT compatible {incoming["compatible"]}");
            Expect(incoming["memoryMapPhysicalAddress"]?.GetValue<ulong>() > 0, "incoming FDT has no preserved-memory-map");
            // The kernel frees the incoming LUO header after reading it at boot (KhoStateReader.IncomingLuoFreed): the
            // FDT's record of it (address, 32 bytes) is what stays; the outgoing number (hop + 1, above) proves it was read.
            var inLuo = Subtree(incoming, "LUO");
            Expect(inLuo["physicalAddress"]?.GetValue<ulong>() > 0 && inLuo["size"]?.GetValue<ulong>() == 32, $"incoming LUO record {inLuo.ToJsonString()}");
            Expect(inLuo["problem"]?.GetValue<string>().Contains("frees the incoming LUO header", StringComparison.Ordinal) == true, $"incoming LUO without the freed-page caveat: {inLuo.ToJsonString()}");
            var previous = state["previousKernel"] ?? throw new InvalidOperationException($"no previous kernel after a kexec: {json}");
            string previousRelease = previous["previousRelease"]!.GetValue<string>();
            Expect(previousRelease.StartsWith(plan.Chain[plan.Hop - 1] + ".", StringComparison.Ordinal), $"previous release {previousRelease} is not a {plan.Chain[plan.Hop - 1]} kernel");
            Expect(previous["kexecCount"]!.GetValue<uint>() == (uint)plan.Hop, $"kexec count {previous["kexecCount"]}, expected {plan.Hop}");
            facts.Add($"in: {incoming["compatible"]} map at 0x{incoming["memoryMapPhysicalAddress"]!.GetValue<ulong>():x}; LUO header at 0x{inLuo["physicalAddress"]!.GetValue<ulong>():x} " +
                $"(32 bytes, freed by the kernel after boot); previousRelease={previousRelease} kexecCount={previous["kexecCount"]}");
        }
        return string.Join("; ", facts);
    }

    private static JsonNode Subtree(JsonNode direction, string name) =>
        direction["subtrees"]!.AsArray().FirstOrDefault(s => s!["name"]!.GetValue<string>() == name)
        ?? throw new InvalidOperationException($"no subtree '{name}' in {direction["directory"]}: {direction.ToJsonString()}");

    private static void Expect(bool condition, string failure)
    {
        if (!condition) throw new InvalidOperationException(failure);
    }

    /// <summary>Every file under kho/ as "relative/path=base64", for the host tests' golden samples.</summary>
    private static async Task<string> CaptureAsync()
    {
        var text = new StringBuilder();
        foreach (string path in Directory.GetFiles(KhoDebugfs, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            byte[] content = await File.ReadAllBytesAsync(path);
            if (text.Length > 0) text.Append(' ');
            text.Append(Path.GetRelativePath(KhoDebugfs, path)).Append('=').Append(Convert.ToBase64String(content));
        }
        return text.ToString();
    }
}
