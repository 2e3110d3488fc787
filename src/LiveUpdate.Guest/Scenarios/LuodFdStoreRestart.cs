// LuodFdStoreRestart (scenario fd-store-restart): the positive twin of custody-lost. luod runs under a stand-in
// for systemd (FakeSystemdSupervisor) with an fd store, so every session fd it holds — and
// its catalog's session and memfd — is parked there too. luod is SIGKILLed; the supervisor
// restarts it with the stored descriptors (LISTEN_FDS/LISTEN_FDNAMES/LISTEN_PID), and the new
// luod must take both clients' sessions back as open, with no custody lost, accept one more
// file, and carry everything through the kexec it performs. After the kexec: client A
// (luoctl, managed) retrieves both files, client B (SDK, delegated) claims its memfd; every
// SHA-256 matches the seeded data, both finish, and luod holds nothing and lost nothing.
using System.Diagnostics;
using System.Text.Json.Nodes;
using LiveUpdate.Client;
using LiveUpdate.Varlink;
using LiveUpdate.GuestContract;
using LiveUpdateProtocol = LiveUpdate.Protocol.LiveUpdateProtocol;

namespace LiveUpdate.Guest.Scenarios;

public sealed class LuodFdStoreRestart(GuestPlan plan, ResultChannel results)
{
    private const long BytesA = 8L << 20, BytesA2 = 4L << 20, BytesB = 8L << 20;
    private const ulong SeedA = 0x5512_000A, SeedA2 = 0x5512_00A2, SeedB = 0x5512_000B, TokenB = 12;
    private const string SessionA = "a", SessionB = "b";
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private static readonly string[] LuodOptions = ["--OrphanGrace=00:10:00"];

    // Kept for the whole hop: it holds the parked descriptors, and closing them would release the sessions.
    private FakeSystemdSupervisor? _systemd;

    public async Task<bool> RunAsync() => plan.IsFirstHop ? await BeforeKexecAsync() : await AfterKexecAsync();

    private async Task<bool> BeforeKexecAsync()
    {
        LuodProcess? luod = null;
        if (!await results.StepAsync(StepNames.FdStoreRestart.LuodStartWithFdStore, async () =>
            {
                _systemd = new FakeSystemdSupervisor(fdStoreLimit: 64);
                var clock = Stopwatch.StartNew();
                (luod, var serving) = await LuodProcess.StartAsync(_systemd.ServiceEnvironment, LuodOptions);
                await _systemd.WaitForReadyAsync(ReadyTimeout);
                return $"fake systemd on {_systemd.SocketPath} (FDSTORE={_systemd.FdStoreLimit}); luod pid {luod.Process.Id} serving in {serving.TotalMilliseconds:F0} ms, READY=1 after {clock.Elapsed.TotalMilliseconds:F0} ms; notifications: [{string.Join(" | ", _systemd.Messages)}]";
            }))
            return false;
        var systemd = _systemd!;

        bool ok = await results.StepAsync(StepNames.FdStoreRestart.ClientAPreserve,
            () => ReferenceClients.LuoctlPreserveAsync(SessionA, "data", SeedA, BytesA));
        ok &= await results.StepAsync(StepNames.FdStoreRestart.ClientBDelegatedPreserve,
            () => ReferenceClients.DelegatedPreserveAsync(SessionB, TokenB, SeedB, BytesB));
        if (!ok) return false;

        ok = await results.StepAsync(StepNames.FdStoreRestart.FdStoreHoldsSessions, async () =>
        {
            var names = await systemd.WaitForStoredAsync(n =>
                n.Contains($"luo-out.luod.u0.{SessionA}") && n.Contains($"luo-out.luod.u0.{SessionB}")
                && n.Any(x => x.StartsWith("luo-out.luod.catalog.", StringComparison.Ordinal))
                && n.Any(x => x.StartsWith("luo-catalog-memfd.", StringComparison.Ordinal)), TimeSpan.FromSeconds(10));
            return $"fd store holds {names.Count}: [{string.Join(", ", names)}]";
        });
        ok &= await results.StepAsync(StepNames.FdStoreRestart.SigkillLuod, async () =>
        {
            var clock = Stopwatch.StartNew();
            await luod!.KillAsync();
            var names = systemd.StoredNames;
            return $"luod pid {luod.Process.Id} killed with SIGKILL ({clock.Elapsed.TotalMilliseconds:F0} ms); the fd store still holds {names.Count}: [{string.Join(", ", names)}]";
        });
        if (!ok) return false;

        ok = await results.StepAsync(StepNames.FdStoreRestart.RestartFromFdStore, async () =>
        {
            if (File.Exists(LuodProcess.Socket)) File.Delete(LuodProcess.Socket);
            var clock = Stopwatch.StartNew();
            var (restarted, passed) = systemd.StartWithStoredDescriptors(LuodProcess.Luod, [$"--SocketPath={LuodProcess.Socket}", .. LuodOptions]);
            double spawnedMs = clock.Elapsed.TotalMilliseconds;
            await LuodProcess.WaitUntilServingAsync(clock, () => restarted.HasExited ? restarted.ExitCode : null);
            double servingMs = clock.Elapsed.TotalMilliseconds;
            await systemd.WaitForReadyAsync(ReadyTimeout);
            double readyMs = clock.Elapsed.TotalMilliseconds;
            return $"luod restarted as pid {restarted.Id} with LISTEN_FDS={passed.Count} LISTEN_FDNAMES={string.Join(':', passed)}; spawned in {spawnedMs:F0} ms, serving after {servingMs:F0} ms, restart-to-READY=1 {readyMs:F0} ms";
        });
        ok &= await results.StepAsync(StepNames.FdStoreRestart.SessionsKept, async () =>
        {
            string json = await LuodProcess.LuoctlOkAsync("sessions", "--all", "--json");
            var reply = JsonNode.Parse(json)!;
            var status = reply["status"]!;
            if (status["custodyLost"]!.GetValue<bool>())
                throw new InvalidOperationException($"the restarted luod reports custody lost: {status["custodyLostReason"]}; {json}");
            foreach (string name in new[] { SessionA, SessionB })
            {
                var session = reply["sessions"]!.AsArray().SingleOrDefault(s => s!["name"]!.GetValue<string>() == name)
                    ?? throw new InvalidOperationException($"the restarted luod does not list session '{name}': {json}");
                string state = session["state"]!.GetValue<string>();
                if (state != "open") throw new InvalidOperationException($"session '{name}' is '{state}', expected 'open': {json}");
            }
            return $"both sessions open, custodyLost=false; status {status.ToJsonString()}";
        });
        ok &= await results.StepAsync(StepNames.FdStoreRestart.ClientAPreserveAfterRestart, async () =>
        {
            var clock = Stopwatch.StartNew();
            string output = await ReferenceClients.LuoctlPreserveAsync(SessionA, "data2", SeedA2, BytesA2);
            await using var client = await VarlinkClient.ConnectAsync(LuodProcess.Socket);
            var status = (await client.CallAsync(LiveUpdateProtocol.Methods.GetStatus)).Parameters["status"]!;
            return $"restarted luod took a new file into session '{SessionA}' in {clock.Elapsed.TotalMilliseconds:F0} ms: {output}; status {status.ToJsonString()}; fd store: [{string.Join(", ", systemd.StoredNames)}]";
        });
        if (!ok) return false;

        return await results.StepAsync(StepNames.FdStoreRestart.LuodKexec, async () =>
        {
            await LuodProcess.KexecThroughLuodAsync(plan, results);
            return "unreachable";
        });
    }

    private async Task<bool> AfterKexecAsync()
    {
        if (!await results.StepAsync(StepNames.FdStoreRestart.LuodStart, async () =>
            {
                var (luod, ready) = await LuodProcess.StartAsync(LuodOptions);
                await using var client = await VarlinkClient.ConnectAsync(LuodProcess.Socket);
                var status = (await client.CallAsync(LiveUpdateProtocol.Methods.GetStatus)).Parameters["status"]!;
                if (status["custodyLost"]!.GetValue<bool>())
                    throw new InvalidOperationException($"luod reports custody lost after the kexec: {status.ToJsonString()}");
                return $"luod pid {luod.Process.Id} ready in {ready.TotalMilliseconds:F0} ms; status {status.ToJsonString()}";
            }))
            return false;

        bool ok = await results.StepAsync(StepNames.FdStoreRestart.ClientARetrieve, async () =>
        {
            var clock = Stopwatch.StartNew();
            string first = await ReferenceClients.LuoctlRetrieveAndCheckAsync(SessionA, "data", SeedA, BytesA);
            string second = await ReferenceClients.LuoctlRetrieveAndCheckAsync(SessionA, "data2", SeedA2, BytesA2);
            await LuodProcess.LuoctlOkAsync("finish", "--session", SessionA);
            return $"{first}; {second}; finished in {clock.Elapsed.TotalMilliseconds:F0} ms";
        });
        ok &= await results.StepAsync(StepNames.FdStoreRestart.ClientBClaim,
            () => ReferenceClients.DelegatedClaimCheckFinishAsync(SessionB, TokenB, SeedB, BytesB));
        ok &= await results.StepAsync(StepNames.FdStoreRestart.NothingLost, async () =>
        {
            string json = await LuodProcess.LuoctlOkAsync("sessions", "--all", "--json");
            var reply = JsonNode.Parse(json)!;
            int sessions = reply["sessions"]!.AsArray().Count;
            bool lost = reply["status"]!["custodyLost"]!.GetValue<bool>();
            if (sessions != 0 || lost) throw new InvalidOperationException($"luod still lists {sessions} session(s), custodyLost={lost}: {json}");
            return $"luod holds no sessions and lost none: {reply["status"]!.ToJsonString()}";
        });
        return ok;
    }
}
