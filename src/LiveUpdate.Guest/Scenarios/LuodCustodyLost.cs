// LuodCustodyLost (scenario custody-lost): luod is killed with SIGKILL while holding a client's
// session and no systemd keeps its fds, so the kernel releases the session. The
// restarted luod must notice (custody record on /run), say so in `luoctl sessions`, and
// answer the client's claim with io.liveupdate.CustodyLost rather than "not found" —
// also after the next kexec, since the loss travels in the catalog.
using System.Text.Json.Nodes;
using LiveUpdate.GuestContract;
using LiveUpdateProtocol = LiveUpdate.Protocol.LiveUpdateProtocol;

namespace LiveUpdate.Guest.Scenarios;

public sealed class LuodCustodyLost(GuestPlan plan, ResultChannel results)
{
    public async Task<bool> RunAsync()
    {
        LuodProcess? luod = null;
        if (!await results.StepAsync(StepNames.CustodyLost.LuodStart, async () =>
            {
                (luod, var ready) = await LuodProcess.StartAsync();
                return $"luod ready in {ready.TotalMilliseconds:F0} ms";
            }))
            return false;

        if (!plan.IsFirstHop)
            return await ClaimFailsWithCustodyLostAsync(StepNames.CustodyLost.ClaimAfterKexec);

        bool ok = await results.StepAsync(StepNames.CustodyLost.PreserveThenSigkill, async () =>
        {
            await File.WriteAllBytesAsync("/tmp/lost.bin", new byte[1 << 20]);
            string output = await LuodProcess.LuoctlOkAsync("preserve", "--session", "lost-a", "--name", "data", "--file", "/tmp/lost.bin");
            await luod!.KillAsync();
            return $"{output}; luod pid {luod.Process.Id} killed with SIGKILL";
        });
        ok &= await results.StepAsync(StepNames.CustodyLost.RestartDetectsLoss, async () =>
        {
            (luod, var ready) = await LuodProcess.StartAsync();
            string json = await LuodProcess.LuoctlOkAsync("sessions", "--all", "--json");
            var reply = JsonNode.Parse(json)!;
            if (reply["status"]!["custodyLost"]!.GetValue<bool>() != true)
                throw new InvalidOperationException($"the restarted luod does not report custody lost: {json}");
            string state = reply["sessions"]!.AsArray().Single(s => s!["name"]!.GetValue<string>() == "lost-a")!["state"]!.GetValue<string>();
            if (state != "lost") throw new InvalidOperationException($"lost-a is '{state}', expected 'lost'");
            string table = await LuodProcess.LuoctlOkAsync("sessions", "--all");
            if (!table.Contains("custody lost", StringComparison.Ordinal))
                throw new InvalidOperationException($"`luoctl sessions` does not say custody was lost:\n{table}");
            return $"restarted in {ready.TotalMilliseconds:F0} ms; status: {reply["status"]!["custodyLostReason"]}";
        });
        ok &= await ClaimFailsWithCustodyLostAsync(StepNames.CustodyLost.ClaimInSameBoot);
        if (!ok) return false;
        return await results.StepAsync(StepNames.CustodyLost.Kexec, async () =>
        {
            await LuodProcess.KexecThroughLuodAsync(plan, results);
            return "unreachable";
        });
    }

    private Task<bool> ClaimFailsWithCustodyLostAsync(string step) => results.StepAsync(step, async () =>
    {
        var (code, _, error) = await LuodProcess.LuoctlAsync(null, "retrieve", "--session", "lost-a", "--name", "data", "--output", "/tmp/lost.out");
        if (code == 0 || !error.Contains(LiveUpdateProtocol.Errors.CustodyLost, StringComparison.Ordinal))
            throw new InvalidOperationException($"claim of lost-a: exit {code}, '{error}' (expected io.liveupdate.CustodyLost)");
        return $"refused: {error}";
    });
}
