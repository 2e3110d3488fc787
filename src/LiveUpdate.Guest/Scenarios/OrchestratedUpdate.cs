// OrchestratedUpdate (scenario orchestrated-update): `luoctl update` from one kernel to the next with two SDK
// participants in processes of their own. Before: luod, participants "cache" (16 MiB) and
// "vmm" (8 MiB) preserve seeded bytes and subscribe; luoctl update checks the next kernel,
// stages it, both prepare and freeze, luod reboots. After: luod restores; each participant
// claims, checks SHA-256, resumes and finishes; `luoctl report` must show every phase in
// order across both kernels with each participant's blackout, and writes the SVG, which is
// sent to the host with the table.
using LiveUpdate.GuestContract;
namespace LiveUpdate.Guest.Scenarios;

public sealed class OrchestratedUpdate(GuestPlan plan, ResultChannel results)
{
    private static readonly (string Name, int Mib, ulong Seed)[] Participants = [(StepNames.OrchestratedUpdate.CacheParticipant, 16, 91), (StepNames.OrchestratedUpdate.VmmParticipant, 8, 92)];

    public async Task<bool> RunAsync()
    {
        if (!await results.StepAsync(StepNames.OrchestratedUpdate.LuodStart, async () =>
            {
                var (luod, ready) = await LuodProcess.StartAsync("--OrphanGrace=00:10:00");
                return $"luod pid {luod.Process.Id} ready in {ready.TotalMilliseconds:F0} ms";
            }))
            return false;
        return plan.IsFirstHop ? await BeforeAsync() : await AfterAsync();
    }

    private async Task<bool> BeforeAsync()
    {
        bool ok = await results.StepAsync(StepNames.OrchestratedUpdate.Participants, async () =>
        {
            foreach (var (name, mib, seed) in Participants)
                await UpdateParticipantProcess.StartAsync(name, mib, seed);
            return string.Join("; ", Participants.Select(p => $"{p.Name}: {p.Mib} MiB preserved, subscribed"));
        });
        if (!ok) return false;
        return await results.StepAsync(StepNames.OrchestratedUpdate.Update, async () =>
        {
            await LuodProcess.UpdateThroughLuodAsync(plan, results, () => "participants: " + string.Join(" | ", Participants.Select(p =>
                File.Exists(UpdateParticipantProcess.LogOf(p.Name)) ? File.ReadAllText(UpdateParticipantProcess.LogOf(p.Name)).Trim() : "(no log)")));
            return "";
        });
    }

    private async Task<bool> AfterAsync()
    {
        bool ok = true;
        foreach (var (name, mib, seed) in Participants)
        {
            ok &= await results.StepAsync(StepNames.OrchestratedUpdate.Resume(name), async () =>
            {
                var (code, output) = await UpdateParticipantProcess.ResumeAsync(name, mib, seed);
                if (code != 0) throw new InvalidOperationException($"participant {name} exited {code}: {output}");
                return output;
            });
        }
        ok &= await UpdateReportSteps.RunAsync(results, StepNames.OrchestratedUpdate.Prefix, Participants.Select(p => p.Name).ToList());
        return ok;
    }
}
