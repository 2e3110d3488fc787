// LuodUpgrade (scenario luod-upgrade): an old luod hands over to the new one across a real
// kexec, every byte checked. On hop 0 no luod runs: lu-guest leaves exactly what a version-1
// luod leaves behind — its catalog session (luod.catalog.a) with a memfd holding the pinned
// golden catalog (tests/LiveUpdate.Daemon.Tests/Golden/catalog-v1.bin, embedded), and the
// LUO sessions that catalog names, with memfds of the sizes it records under its tokens,
// filled with seeded content whose SHA-256 is known — then kexecs. On hop 1 this build's
// luod starts, reads the catalog, and an SDK client claims each session, checking every
// file's size and SHA-256, the metadata, the session lost before the handover, and the
// update ledger (the pending update completes when its participant resumes).
using System.Text;
using System.Text.Json.Nodes;
using LiveUpdate.Client;
using LiveUpdate.Kernel;
using LiveUpdate.Varlink;
using LiveUpdate.GuestContract;
using LiveUpdateProtocol = LiveUpdate.Protocol.LiveUpdateProtocol;

namespace LiveUpdate.Guest.Scenarios;

public sealed class LuodUpgrade(GuestPlan plan, ResultChannel results)
{
    /// <summary>One memfd the golden catalog (or, for the delegated session, its owner) knows of.</summary>
    private sealed record GoldenFile(string KernelSession, string Name, ulong Token, long Bytes, ulong Seed);

    // What catalog-v1.bin says (HandoverAbiGoldenTests checks the same values on the host).
    private const string CatalogSession = "luod.catalog.a";
    private const ulong CatalogToken = 1;
    private const long CatalogCapacity = 64 << 10;
    private const string PendingUpdateId = "u20261201T090000-4242";
    private const string CompletedUpdateId = "u20261130T120000-4100";
    private const string Metadata = "schema=3;owner=golden";
    private static readonly GoldenFile[] ManagedFiles =
    [
        new("luod.u0.upgrade-db", "heap", 1, 65536, 0x1a60_0001),
        new("luod.u0.upgrade-db", "wal", 2, 12288, 0x1a60_0002),
    ];
    // Delegated: luod records no files; its owner knows its token.
    private static readonly GoldenFile Delegated = new("luod.u0.upgrade-vm", "state", 7, 8192, 0x1a60_0007);

    /// <summary>The sessions (and, like luod, the memfds) stay open until the reboot.</summary>
    private static readonly List<LiveUpdateSession> HeldSessions = [];
    private static readonly List<MemFd> HeldMemFds = [];

    public async Task<bool> RunAsync() => plan.IsFirstHop ? await LeaveVersion1HandoverAsync() : await AfterKexecAsync();

    private static byte[] GoldenCatalog()
    {
        using var stream = typeof(LuodUpgrade).Assembly.GetManifestResourceStream("golden-catalog-v1.bin")
            ?? throw new InvalidOperationException("lu-guest was built without the embedded golden catalog");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    private async Task<bool> LeaveVersion1HandoverAsync()
    {
        return await results.StepAsync(StepNames.LuodUpgrade.V1Handover, () =>
        {
            using var device = LiveUpdateDevice.Open();
            var details = new List<string>();
            foreach (var group in ManagedFiles.Append(Delegated).GroupBy(f => f.KernelSession))
            {
                var session = device.CreateSession(group.Key);
                HeldSessions.Add(session);
                foreach (var file in group)
                {
                    var memfd = MemFd.Create($"lu-upgrade-{file.Name}");
                    HeldMemFds.Add(memfd);
                    string sha = MemFdContent.Fill(memfd, file.Seed, file.Bytes);
                    session.Preserve(memfd, file.Token);
                    details.Add($"{group.Key} token {file.Token}: {file.Bytes} bytes sha256={sha}");
                }
            }
            byte[] catalog = GoldenCatalog();
            var catalogSession = device.CreateSession(CatalogSession);
            HeldSessions.Add(catalogSession);
            var catalogMemFd = MemFd.Create("luod-catalog");
            HeldMemFds.Add(catalogMemFd);
            catalogMemFd.SetSize(CatalogCapacity); // as luod's CatalogStore sizes it: the rest is zeros
            catalogMemFd.Write(catalog, 0);
            catalogSession.Preserve(catalogMemFd, CatalogToken);
            details.Add($"{CatalogSession} token {CatalogToken}: golden catalog v1, {catalog.Length} bytes sha256={Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(catalog))}");
            return Task.FromResult($"no luod; {HeldSessions.Count} sessions held open as a version-1 luod leaves them: {string.Join("; ", details)}");
        });
    }

    private async Task<bool> AfterKexecAsync()
    {
        if (!await results.StepAsync(StepNames.LuodUpgrade.LuodStart, async () =>
        {
            var (luod, ready) = await LuodProcess.StartAsync("--OrphanGrace=00:10:00");
            await using var client = await LiveUpdateClient.ConnectAsync(LuodProcess.Socket);
            var status = await client.GetStatusAsync();
            if (!status.BootedByHandover) throw new InvalidOperationException($"luod did not adopt the golden catalog: {status}");
            if (status.CatalogGeneration <= 42) throw new InvalidOperationException($"catalog generation {status.CatalogGeneration}: luod did not continue from the golden catalog's 42");
            if (!status.CustodyLost || status.CustodyLostReason?.Contains("cache ünï") != true)
                throw new InvalidOperationException($"the golden catalog's lost session is not reported: custodyLost={status.CustodyLost} ({status.CustodyLostReason})");
            return $"luod pid {luod.Process.Id} ready in {ready.TotalMilliseconds:F0} ms; bootedByHandover=true generation={status.CatalogGeneration}; custody lost before the handover: {status.CustodyLostReason}";
        })) return false;

        bool ok = await results.StepAsync(StepNames.LuodUpgrade.SessionsListed, async () =>
        {
            await using var client = await LiveUpdateClient.ConnectAsync(LuodProcess.Socket);
            var sessions = (await client.ListSessionsAsync(all: true)).ToDictionary(s => s.Name);
            var problems = new List<string>();
            void Expect(string name, uint owner, string kernelName, LiveUpdate.Protocol.SessionMode mode, LiveUpdate.Protocol.SessionState state, long createdNs, int files)
            {
                if (!sessions.TryGetValue(name, out var s)) { problems.Add($"'{name}' missing"); return; }
                if ((s.Owner, s.KernelName, s.Mode, s.State, s.CreatedNs, s.Files.Count) != (owner, kernelName, mode, state, createdNs, files))
                    problems.Add($"'{name}': {s.Owner} {s.KernelName} {s.Mode} {s.State} {s.CreatedNs} {s.Files.Count} file(s)");
            }
            Expect("upgrade-db", 0, "luod.u0.upgrade-db", LiveUpdate.Protocol.SessionMode.Managed, LiveUpdate.Protocol.SessionState.Restored, 1764579000000000000, 2);
            Expect("upgrade-vm", 0, "luod.u0.upgrade-vm", LiveUpdate.Protocol.SessionMode.Delegated, LiveUpdate.Protocol.SessionState.Restored, 1764579000500000000, 0);
            Expect("cache ünï", 1000, "luod.u1000.cache ünï", LiveUpdate.Protocol.SessionMode.Managed, LiveUpdate.Protocol.SessionState.Lost, 1764578000000000000, 1);
            if (sessions.Count != 3) problems.Add($"{sessions.Count} sessions listed, the golden catalog has 3");
            if (problems.Count > 0) throw new InvalidOperationException(string.Join("; ", problems));
            return $"3 sessions as the golden catalog lists them: {string.Join(", ", sessions.Values.Select(s => $"{s.Name} (uid {s.Owner}, {s.Mode}, {s.State})"))}";
        });

        ok &= await results.StepAsync(StepNames.LuodUpgrade.ClaimManaged, async () =>
        {
            await using var client = await LiveUpdateClient.ConnectAsync(LuodProcess.Socket);
            using var claimed = await client.ClaimManagedAsync("upgrade-db");
            string metadata = claimed.Info.Metadata is { } bytes ? Encoding.UTF8.GetString(bytes) : "(none)";
            if (metadata != Metadata) throw new InvalidOperationException($"metadata '{metadata}' != '{Metadata}'");
            var checkedFiles = new List<string>();
            foreach (var file in ManagedFiles)
            {
                if (!claimed.Files.TryGetValue(file.Name, out var memfd)) throw new InvalidOperationException($"file '{file.Name}' was not handed back");
                var info = claimed.Info.Files.Single(f => f.Name == file.Name);
                string expected = SeededPattern.Sha256Of(file.Seed, file.Bytes);
                string actual = MemFdContent.Sha256(memfd);
                if (memfd.Size != file.Bytes || info.Bytes != file.Bytes || info.Token != file.Token || actual != expected)
                    throw new InvalidOperationException($"'{file.Name}': {memfd.Size} bytes (catalog {info.Bytes}), token {info.Token}, sha256 {actual} != {expected}");
                checkedFiles.Add($"{file.Name} token {file.Token}: {file.Bytes} bytes sha256={actual} — match");
            }
            if (claimed.Files.Count != ManagedFiles.Length) throw new InvalidOperationException($"{claimed.Files.Count} files handed back, the catalog lists {ManagedFiles.Length}");
            await claimed.FinishAsync();
            return $"SDK: claimed managed 'upgrade-db', metadata '{metadata}'; {string.Join("; ", checkedFiles)}; finished";
        });

        ok &= await results.StepAsync(StepNames.LuodUpgrade.ClaimDelegated,
            () => ReferenceClients.DelegatedClaimCheckFinishAsync("upgrade-vm", Delegated.Token, Delegated.Seed, Delegated.Bytes));

        ok &= await results.StepAsync(StepNames.LuodUpgrade.UpdateLedger, async () =>
        {
            await using (var client = await LiveUpdateClient.ConnectAsync(LuodProcess.Socket))
                await client.ResumedAsync("upgrade-db");
            await using var varlink = await VarlinkClient.ConnectAsync(LuodProcess.Socket);
            var reply = (await varlink.CallAsync(LiveUpdateProtocol.Methods.GetUpdates)).Parameters;
            if (reply["pending"] is { } pending && pending.GetValueKind() != System.Text.Json.JsonValueKind.Null)
                throw new InvalidOperationException($"update {PendingUpdateId} is still pending after its participant resumed: {pending}");
            var completed = reply["completed"]!.AsArray().Select(u => JsonNode.Parse(u!.GetValue<string>())!).ToList();
            var ids = completed.Select(u => u["updateId"]!.GetValue<string>()).ToList();
            if (ids.Count != 2 || ids[0] != CompletedUpdateId || ids[1] != PendingUpdateId)
                throw new InvalidOperationException($"completed updates {string.Join(", ", ids)}; expected {CompletedUpdateId}, {PendingUpdateId}");
            var events = completed[1]["events"]!.AsArray().Select(e => $"{e!["name"]}{(e["client"] is { } c ? $"({c})" : "")}").ToList();
            string[] wanted = ["staged", "prepare", "client.paused(upgrade-db)", "freeze", "catalog.written", "reboot", "luod.start", "catalog.restored", "sessions.restored", "client.claimed(upgrade-db)", "client.resumed(upgrade-db)", "finish"];
            var missing = wanted.Where(w => !events.Contains(w)).ToList();
            if (missing.Count > 0) throw new InvalidOperationException($"update {PendingUpdateId} lacks {string.Join(", ", missing)}: {string.Join(" ", events)}");
            return $"update {PendingUpdateId} from the golden catalog completed in this kernel: {string.Join(" → ", events)}; kept after {CompletedUpdateId}";
        });

        ok &= await results.StepAsync(StepNames.LuodUpgrade.NothingLeft, async () =>
        {
            await using var client = await LiveUpdateClient.ConnectAsync(LuodProcess.Socket);
            var left = await client.ListSessionsAsync(all: true);
            if (left.Count != 1 || left[0].State != LiveUpdate.Protocol.SessionState.Lost)
                throw new InvalidOperationException($"luod lists {string.Join(", ", left.Select(s => $"{s.Name} {s.State}"))}; only the lost session should remain");
            return $"only the session lost before the handover remains: '{left[0].Name}' (uid {left[0].Owner}, lost)";
        });
        return ok;
    }
}
