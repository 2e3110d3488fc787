// LuodCustody (scenario luod-custody): two clients hand state to luod, one each way, and exit; luod
// performs the kexec itself. Client A is luoctl (managed: `luoctl preserve --file`);
// client B uses the SDK (LiveUpdate.Client): it gets a delegated session fd and preserves its own
// memfd on it with PRESERVE_FD. After the kexec luod starts again, A retrieves its file
// with luoctl, B claims its session fd and retrieves its memfd; both check SHA-256 and
// finish, and luod reports no sessions and no orphans.
using System.Text.Json.Nodes;
using LiveUpdate.Client;
using LiveUpdate.Kernel;
using LiveUpdate.Varlink;
using LiveUpdate.GuestContract;
using LiveUpdateProtocol = LiveUpdate.Protocol.LiveUpdateProtocol;

namespace LiveUpdate.Guest.Scenarios;

public sealed class LuodCustody(GuestPlan plan, ResultChannel results)
{
    private const long BytesA = 8L << 20, BytesB = 16L << 20;
    private const ulong SeedA = 0x5505_000A, SeedB = 0x5505_000B, TokenB = 7;

    public async Task<bool> RunAsync()
    {
        if (!await results.StepAsync(StepNames.LuodCustody.LuodStart, StartLuodAsync)) return false;
        return plan.IsFirstHop ? await BeforeKexecAsync() : await AfterKexecAsync();
    }

    private async Task<string> StartLuodAsync()
    {
        var (luod, ready) = await LuodProcess.StartAsync("--OrphanGrace=00:10:00");
        await using var client = await VarlinkClient.ConnectAsync(LuodProcess.Socket);
        var status = (await client.CallAsync(LiveUpdateProtocol.Methods.GetStatus)).Parameters["status"]!;
        return $"luod pid {luod.Process.Id} ready in {ready.TotalMilliseconds:F0} ms; status {status.ToJsonString()}";
    }

    private async Task<bool> BeforeKexecAsync()
    {
        bool ok = await results.StepAsync(StepNames.LuodCustody.ClientAPreserve,
            () => ReferenceClients.LuoctlPreserveAsync("cache-a", "data", SeedA, BytesA));
        ok &= await results.StepAsync(StepNames.LuodCustody.ClientBDelegatedPreserve,
            () => ReferenceClients.DelegatedPreserveAsync("vm-b", TokenB, SeedB, BytesB));
        if (!ok) return false;

        return await results.StepAsync(StepNames.LuodCustody.LuodKexec, async () =>
        {
            await LuodProcess.KexecThroughLuodAsync(plan, results);
            return "unreachable";
        });
    }

    private async Task<bool> AfterKexecAsync()
    {
        bool ok = await results.StepAsync(StepNames.LuodCustody.ClientARetrieve, async () =>
        {
            string retrieved = await ReferenceClients.LuoctlRetrieveAndCheckAsync("cache-a", "data", SeedA, BytesA);
            await LuodProcess.LuoctlOkAsync("finish", "--session", "cache-a");
            return $"{retrieved}; finished";
        });
        ok &= await results.StepAsync(StepNames.LuodCustody.ClientBClaim,
            () => ReferenceClients.DelegatedClaimCheckFinishAsync("vm-b", TokenB, SeedB, BytesB));
        ok &= await results.StepAsync(StepNames.LuodCustody.NoOrphans, async () =>
        {
            string json = await LuodProcess.LuoctlOkAsync("sessions", "--all", "--json");
            var reply = JsonNode.Parse(json)!;
            int sessions = reply["sessions"]!.AsArray().Count;
            int orphans = reply["status"]!["orphans"]!.GetValue<int>();
            if (sessions != 0 || orphans != 0) throw new InvalidOperationException($"luod still lists {sessions} session(s), {orphans} orphan(s): {json}");
            return $"luod holds no sessions and reports no orphans: {reply["status"]!.ToJsonString()}";
        });
        return ok;
    }
}
