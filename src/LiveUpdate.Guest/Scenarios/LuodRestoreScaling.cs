// LuodRestoreScaling (scenario luod-restore-scaling, a measurement, not part of CI): how long luod takes
// after a kexec to hand back N sessions of 10 memfds each, for N = 1, 10, 100 — one hop per
// N on a chain of four kernels. Each hop claims, checks and finishes what the previous hop
// preserved (timing luod start → ready and ready → every session claimed), then preserves
// the next N through the SDK and kexecs through luod. luod logs its own restore time.
using System.Diagnostics;
using LiveUpdate.Client;
using LiveUpdate.GuestContract;

namespace LiveUpdate.Guest.Scenarios;

public sealed class LuodRestoreScaling(GuestPlan plan, ResultChannel results)
{
    private static readonly int[] SessionsPerHop = [1, 10, 100];
    private const int FilesPerSession = 10;
    private const int FileBytes = 4096;

    public async Task<bool> RunAsync()
    {
        TimeSpan ready = default;
        if (!await results.StepAsync(StepNames.LuodRestoreScaling.LuodStart, async () =>
            {
                (_, ready) = await LuodProcess.StartAsync("--OrphanGrace=00:30:00");
                return $"luod ready in {ready.TotalMilliseconds:F0} ms";
            }))
            return false;
        await using var client = await LiveUpdateClient.ConnectAsync(LuodProcess.Socket);
        bool ok = true;
        if (!plan.IsFirstHop)
        {
            int expected = SessionsPerHop[plan.Hop - 1];
            ok &= await results.StepAsync(StepNames.LuodRestoreScaling.HandedBack(expected), async () =>
            {
                var clock = Stopwatch.StartNew();
                for (int s = 0; s < expected; s++)
                {
                    using var claimed = await client.ClaimManagedAsync($"n{s}");
                    if (claimed.Files.Count != FilesPerSession) throw new InvalidOperationException($"session n{s} came back with {claimed.Files.Count} files");
                    foreach (var (name, memfd) in claimed.Files)
                        if (MemFdContent.Sha256(memfd) != SeededPattern.Sha256Of(Seed(s, name), FileBytes))
                            throw new InvalidOperationException($"session n{s} file {name}: SHA-256 mismatch");
                }
                double claimMs = clock.Elapsed.TotalMilliseconds;
                for (int s = 0; s < expected; s++) await client.FinishAsync($"n{s}");
                return $"{expected} sessions × {FilesPerSession} memfds: luod start→ready {ready.TotalMilliseconds:F0} ms; ready→all claimed and verified {claimMs:F0} ms; all finished at {clock.Elapsed.TotalMilliseconds:F0} ms";
            });
        }
        if (plan.IsLastHop || !ok) return ok;
        int count = SessionsPerHop[plan.Hop];
        ok &= await results.StepAsync(StepNames.LuodRestoreScaling.Preserve(count), async () =>
        {
            var clock = Stopwatch.StartNew();
            for (int s = 0; s < count; s++)
            {
                var session = await client.CreateManagedSessionAsync($"n{s}");
                for (int f = 0; f < FilesPerSession; f++)
                {
                    using var memory = PreservedMemory.Create($"n{s}-f{f}", FileBytes);
                    new SeededPattern(Seed(s, $"f{f}")).Fill(memory.Memory.Span);
                    await session.PreserveAsync($"f{f}", memory);
                }
            }
            return $"{count} sessions × {FilesPerSession} memfds preserved in {clock.Elapsed.TotalMilliseconds:F0} ms";
        });
        if (!ok) return false;
        return await results.StepAsync(StepNames.LuodRestoreScaling.Kexec, async () =>
        {
            await LuodProcess.KexecThroughLuodAsync(plan, results);
            return "unreachable";
        });
    }

    private static ulong Seed(int session, string file) => (ulong)(session * 100 + int.Parse(file[1..]) + 1);
}
