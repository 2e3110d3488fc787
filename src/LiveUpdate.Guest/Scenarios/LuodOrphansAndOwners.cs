// LuodOrphansAndOwners (scenario orphans-and-owners, once S6 and S7): root preserves a session
// through luod and luod kexecs; in the next kernel nobody claims it. Owners: a client of
// another uid can neither list nor claim it, nor list everyone's sessions. Orphans: after the
// grace luod reports it as an orphan, and the policy (keep) leaves it preserved: root can
// still retrieve it intact, then finishes it.
using System.Text.Json.Nodes;
using LiveUpdate.GuestContract;
using LiveUpdateProtocol = LiveUpdate.Protocol.LiveUpdateProtocol;

namespace LiveUpdate.Guest.Scenarios;

public sealed class LuodOrphansAndOwners(GuestPlan plan, ResultChannel results)
{
    private const uint OtherUid = 1000;
    private const long Bytes = 4L << 20;
    private const ulong Seed = 0x5506_0001;

    public async Task<bool> RunAsync()
    {
        LuodProcess? luod = null;
        string[] options = plan.IsFirstHop ? [] : ["--OrphanGrace=00:00:03", "--OrphanPolicy=Keep"];
        if (!await results.StepAsync(StepNames.OrphansAndOwners.LuodStart, async () =>
            {
                (luod, var ready) = await LuodProcess.StartAsync(options);
                return $"luod ready in {ready.TotalMilliseconds:F0} ms ({string.Join(' ', options)})";
            }))
            return false;

        if (plan.IsFirstHop)
        {
            bool ok = await results.StepAsync(StepNames.OrphansAndOwners.Preserve, async () =>
            {
                byte[] bytes = new byte[Bytes];
                new SeededPattern(Seed).Fill(bytes);
                await File.WriteAllBytesAsync("/tmp/orphan.bin", bytes);
                return await LuodProcess.LuoctlOkAsync("preserve", "--session", "orphan-a", "--name", "data", "--file", "/tmp/orphan.bin");
            });
            if (!ok) return false;
            return await results.StepAsync(StepNames.OrphansAndOwners.Kexec, async () =>
            {
                await LuodProcess.KexecThroughLuodAsync(plan, results);
                return "unreachable";
            });
        }

        bool passed = await results.StepAsync(StepNames.OrphansAndOwners.OtherUidListsNothing, async () =>
        {
            var (code, output, error) = await LuodProcess.LuoctlAsync(OtherUid, "sessions", "--json");
            if (code != 0) throw new InvalidOperationException($"luoctl sessions as uid {OtherUid} exited {code}: {error}");
            int count = JsonNode.Parse(output)!["sessions"]!.AsArray().Count;
            if (count != 0) throw new InvalidOperationException($"uid {OtherUid} sees {count} session(s): {output}");
            return $"uid {OtherUid} sees no sessions";
        });
        passed &= await results.StepAsync(StepNames.OrphansAndOwners.OtherUidCannotClaim, async () =>
        {
            var (code, _, error) = await LuodProcess.LuoctlAsync(OtherUid, "retrieve", "--session", "orphan-a", "--name", "data", "--output", "/tmp/stolen");
            if (code == 0 || !error.Contains(LiveUpdateProtocol.Errors.SessionNotFound, StringComparison.Ordinal))
                throw new InvalidOperationException($"uid {OtherUid} claim: exit {code}, '{error}' (expected io.liveupdate.SessionNotFound)");
            return $"refused: {error}";
        });
        passed &= await results.StepAsync(StepNames.OrphansAndOwners.OtherUidCannotListAll, async () =>
        {
            var (code, _, error) = await LuodProcess.LuoctlAsync(OtherUid, "sessions", "--all");
            if (code == 0 || !error.Contains(LiveUpdateProtocol.Errors.PermissionDenied, StringComparison.Ordinal))
                throw new InvalidOperationException($"uid {OtherUid} sessions --all: exit {code}, '{error}' (expected io.liveupdate.PermissionDenied)");
            return $"refused: {error}";
        });
        passed &= await results.StepAsync(StepNames.OrphansAndOwners.OrphanReported, async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(6));
            string json = await LuodProcess.LuoctlOkAsync("sessions", "--all", "--json");
            var reply = JsonNode.Parse(json)!;
            var session = reply["sessions"]!.AsArray().SingleOrDefault(s => s!["name"]!.GetValue<string>() == "orphan-a")
                ?? throw new InvalidOperationException($"orphan-a is not listed: {json}");
            string state = session["state"]!.GetValue<string>();
            int orphans = reply["status"]!["orphans"]!.GetValue<int>();
            if (state != "orphaned" || orphans != 1) throw new InvalidOperationException($"state {state}, orphans {orphans}: {json}");
            return $"orphan-a is orphaned after the 3 s grace; luod status reports {orphans} orphan";
        });
        passed &= await results.StepAsync(StepNames.OrphansAndOwners.PolicyKeepLeftItIntact, async () =>
        {
            await LuodProcess.LuoctlOkAsync("retrieve", "--session", "orphan-a", "--name", "data", "--output", "/tmp/orphan.out");
            string actual = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync("/tmp/orphan.out")));
            string expected = SeededPattern.Sha256Of(Seed, Bytes);
            if (actual != expected) throw new InvalidOperationException($"sha256 {actual} != {expected}");
            await LuodProcess.LuoctlOkAsync("finish", "--session", "orphan-a");
            return $"kept orphan retrieved: sha256={actual} — match; finished";
        });
        return passed;
    }
}
