// Soak (scenario soak): one hop of a seeded chain of kexecs through luod. The hop re-derives from
// (lu.soak.seed, lu.hop) which managed sessions must arrive (SoakPlan), checks luod lists exactly
// those, claims each that is not to be orphaned and checks every file by SHA-256, then finishes
// it, or carries it on (its bytes copied into a new session of the same name, grown by more files
// when the plan says so); creates new sessions; waits until the ones left alone are orphaned;
// and reports luod's VmRSS, VmHWM and open fds (/proc/<pid>) with the hop's figures before
// kexec'ing through luod. luod holds one fd per session; luvm checks that "fds beyond the sessions
// held" at the end of every hop stay those of hop 1, and RSS against the warm-up hop.
using System.Globalization;
using LiveUpdate.Client;
using LiveUpdate.GuestContract;
using SessionState = LiveUpdate.Protocol.SessionState;

namespace LiveUpdate.Guest.Scenarios;

public sealed class Soak(GuestPlan plan, ResultChannel results)
{
    private static readonly TimeSpan OrphanGrace = TimeSpan.FromSeconds(5);

    public async Task<bool> RunAsync()
    {
        string seedText = plan.CommandLine.Get(GuestCommandLineKeys.SoakSeed)
            ?? throw new InvalidOperationException($"{GuestCommandLineKeys.SoakSeed}= is missing from the kernel command line; luvm sets it for the soak.");
        ulong seed = ulong.Parse(seedText, CultureInfo.InvariantCulture);
        var hop = SoakPlan.For(seed, plan.Hop, plan.Chain.Count);

        LuodProcess? luod = null;
        if (!await results.StepAsync(StepNames.Soak.LuodStart, async () =>
            {
                (luod, var ready) = await LuodProcess.StartAsync($"--OrphanGrace={OrphanGrace:hh\\:mm\\:ss}", "--OrphanPolicy=Keep");
                return $"luod ready in {ready.TotalMilliseconds:F0} ms (seed {seed}, hop {plan.Hop} of {plan.Chain.Count})";
            }))
            return false;
        int pid = luod!.Process.Id;
        await using var client = await LiveUpdateClient.ConnectAsync(LuodProcess.Socket);

        int fdsBeyondAtArrival = 0;
        IReadOnlyList<string> fdsAtArrival = [];
        if (!await results.StepAsync(StepNames.Soak.Arrived, async () =>
            {
                var listed = await client.ListSessionsAsync(all: true);
                var expected = hop.Arriving.ToDictionary(s => s.Name, StringComparer.Ordinal);
                var unexpected = listed.Where(s => !expected.ContainsKey(s.Name)).Select(s => $"{s.Name} ({s.State})").ToList();
                var missing = expected.Keys.Where(n => listed.All(s => s.Name != n)).ToList();
                if (unexpected.Count > 0 || missing.Count > 0)
                    throw new InvalidOperationException($"luod lists unexpected [{string.Join(", ", unexpected)}], misses [{string.Join(", ", missing)}]");
                foreach (var session in listed)
                {
                    var want = expected[session.Name];
                    if (session.State is not (SessionState.Restored or SessionState.Orphaned))
                        throw new InvalidOperationException($"{session.Name} is {session.State}, expected restored");
                    string got = string.Join(",", session.Files.OrderBy(f => f.Name, StringComparer.Ordinal).Select(f => $"{f.Name}:{f.Bytes}"));
                    string wanted = string.Join(",", want.Files.OrderBy(f => f.Name, StringComparer.Ordinal).Select(f => $"{f.Name}:{f.Bytes}"));
                    if (got != wanted) throw new InvalidOperationException($"{session.Name} has files [{got}], expected [{wanted}]");
                }
                var status = await client.GetStatusAsync();
                if (status.CustodyLost) throw new InvalidOperationException($"custody lost: {status.CustodyLostReason}");
                if (!plan.IsFirstHop && !status.BootedByHandover) throw new InvalidOperationException("luod says this boot was not a handover");
                fdsAtArrival = FdTargets(pid);
                int fds = fdsAtArrival.Count;
                fdsBeyondAtArrival = fds - listed.Count;
                return $"{listed.Count} sessions as planned ({hop.Arriving.Sum(s => s.Files.Count)} files, {hop.Arriving.Sum(s => s.Bytes)} bytes); luod fds {fds}";
            }))
            return false;

        long bytesChecked = 0;
        int filesChecked = 0;
        if (!await results.StepAsync(StepNames.Soak.Verify, async () =>
            {
                foreach (var session in hop.Arriving.Where(s => hop.Fates[s.Name] != SoakFate.Orphan))
                {
                    var fate = hop.Fates[session.Name];
                    var copies = new List<(string Name, PreservedMemory Memory)>();
                    try
                    {
                        using (var claimed = await client.ClaimManagedAsync(session.Name))
                        {
                            if (claimed.Files.Count != session.Files.Count)
                                throw new InvalidOperationException($"{session.Name} came back with {claimed.Files.Count} files, expected {session.Files.Count}");
                            foreach (var file in session.Files)
                            {
                                if (!claimed.Files.TryGetValue(file.Name, out var memfd)) throw new InvalidOperationException($"{session.Name} lacks {file.Name}");
                                string actual = MemFdContent.Sha256(memfd);
                                string expected = SeededPattern.Sha256Of(file.ContentSeed, file.Bytes);
                                if (actual != expected) throw new InvalidOperationException($"{session.Name}/{file.Name}: sha256 {actual} != {expected}");
                                bytesChecked += file.Bytes;
                                filesChecked++;
                                if (fate is SoakFate.Carry or SoakFate.Grow)
                                {
                                    // Carried on: the very bytes that came back, copied into the next session.
                                    var copy = PreservedMemory.Create($"{session.Name}-{file.Name}", file.Bytes);
                                    using (var source = claimed.Map(file.Name)) source.Memory.Span.CopyTo(copy.Memory.Span);
                                    copies.Add((file.Name, copy));
                                }
                            }
                        }
                        await client.FinishAsync(session.Name);
                        if (fate is SoakFate.Carry or SoakFate.Grow)
                        {
                            var next = hop.Leaving.Single(s => s.Name == session.Name);
                            var created = await client.CreateManagedSessionAsync(session.Name);
                            foreach (var (name, memory) in copies) await created.PreserveAsync(name, memory);
                            foreach (var file in next.Files.Skip(session.Files.Count)) await PreserveNewAsync(created, session.Name, file);
                        }
                    }
                    finally
                    {
                        foreach (var (_, memory) in copies) memory.Dispose();
                    }
                }
                return $"{filesChecked} files, {bytesChecked} bytes: sha256 match; finished {hop.Count(SoakFate.Finish)}, carried {hop.Count(SoakFate.Carry)}, grown {hop.Count(SoakFate.Grow)}";
            }))
            return false;

        if (!await results.StepAsync(StepNames.Soak.Create, async () =>
            {
                foreach (var session in hop.Created)
                {
                    var created = await client.CreateManagedSessionAsync(session.Name);
                    foreach (var file in session.Files) await PreserveNewAsync(created, session.Name, file);
                }
                return $"created {hop.Created.Count} sessions ({hop.Created.Sum(s => s.Files.Count)} files, {hop.Created.Sum(s => s.Bytes)} bytes)";
            }))
            return false;

        var orphans = hop.Arriving.Where(s => hop.Fates[s.Name] == SoakFate.Orphan).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        if (!await results.StepAsync(StepNames.Soak.Orphans, async () =>
            {
                var deadline = DateTime.UtcNow + OrphanGrace + TimeSpan.FromSeconds(60);
                while (true)
                {
                    var status = await client.GetStatusAsync();
                    var listed = await client.ListSessionsAsync(all: true);
                    int orphaned = listed.Count(s => s.State == SessionState.Orphaned);
                    bool allOrphaned = listed.Where(s => orphans.Contains(s.Name)).All(s => s.State == SessionState.Orphaned);
                    if (allOrphaned && orphaned == orphans.Count && status.Orphans == orphans.Count)
                        return $"{orphans.Count} orphaned as planned ({string.Join(", ", orphans.Order(StringComparer.Ordinal))})";
                    if (DateTime.UtcNow > deadline)
                        throw new InvalidOperationException($"expected orphans [{string.Join(", ", orphans)}]; luod lists {string.Join(", ", listed.Select(s => $"{s.Name}={s.State}"))}, status orphans {status.Orphans}");
                    await Task.Delay(500);
                }
            }))
            return false;

        if (!await results.StepAsync(StepNames.Soak.Resources, async () =>
            {
                var listed = await client.ListSessionsAsync(all: true);
                var leaving = hop.Leaving.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
                var open = listed.Where(s => s.State == SessionState.Open).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
                if (!open.SetEquals(leaving))
                    throw new InvalidOperationException($"open sessions [{string.Join(", ", open.Order(StringComparer.Ordinal))}] are not the planned [{string.Join(", ", leaving.Order(StringComparer.Ordinal))}]");
                var (rss, hwm) = Memory(pid);
                var targets = FdTargets(pid);
                int fds = targets.Count;
                int beyond = fds - listed.Count;
                // Not failed here: luod may still be opening an fd of its own at arrival (startup is
                // asynchronous); luvm judges the end of every hop against hop 1's. The fds that appeared
                // since arrival are named so a difference can be read.
                var appeared = targets.ToList();
                foreach (var target in fdsAtArrival) appeared.Remove(target);
                double uptimeMs = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], CultureInfo.InvariantCulture) * 1000;
                return BenchDetail.Format(
                    (StepNames.Soak.Keys.Live, hop.Leaving.Count),
                    (StepNames.Soak.Keys.Created, hop.Created.Count),
                    (StepNames.Soak.Keys.Finished, hop.Count(SoakFate.Finish)),
                    (StepNames.Soak.Keys.Orphaned, orphans.Count),
                    (StepNames.Soak.Keys.Carried, hop.Count(SoakFate.Carry)),
                    (StepNames.Soak.Keys.Grown, hop.Count(SoakFate.Grow)),
                    (StepNames.Soak.Keys.Files, filesChecked),
                    (StepNames.Soak.Keys.BytesChecked, bytesChecked),
                    (StepNames.Soak.Keys.RssKiB, rss),
                    (StepNames.Soak.Keys.HwmKiB, hwm),
                    (StepNames.Soak.Keys.Fds, fds),
                    (StepNames.Soak.Keys.SessionsHeld, listed.Count),
                    (StepNames.Soak.Keys.FdsBeyondSessions, beyond),
                    (StepNames.Soak.Keys.FdsBeyondSessionsAtArrival, fdsBeyondAtArrival),
                    (StepNames.Soak.Keys.FdsAppeared, appeared.Count == 0 ? "-" : string.Join(',', appeared)),
                    (StepNames.Soak.Keys.UptimeMs, uptimeMs));
            }))
            return false;

        if (plan.IsLastHop) return true;
        return await results.StepAsync(StepNames.Soak.Kexec, async () =>
        {
            await LuodProcess.KexecThroughLuodAsync(plan, results);
            return "unreachable";
        });
    }

    private static async Task PreserveNewAsync(ManagedSession session, string sessionName, SoakFile file)
    {
        using var memory = PreservedMemory.Create($"{sessionName}-{file.Name}", file.Bytes);
        new SeededPattern(file.ContentSeed).Fill(memory.Memory.Span);
        await session.PreserveAsync(file.Name, memory);
    }

    /// <summary>What each open fd of <paramref name="pid"/> points at (/proc/&lt;pid&gt;/fd/*), one entry per fd.</summary>
    private static IReadOnlyList<string> FdTargets(int pid) =>
        [.. Directory.GetFileSystemEntries($"/proc/{pid}/fd").Select(fd => { try { return new FileInfo(fd).LinkTarget ?? "?"; } catch (IOException) { return "closed"; } })];

    /// <summary>VmRSS and VmHWM of <paramref name="pid"/> in KiB, from /proc/&lt;pid&gt;/status.</summary>
    private static (long Rss, long Hwm) Memory(int pid)
    {
        long rss = -1, hwm = -1;
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = KiB(line);
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) hwm = KiB(line);
        }
        if (rss < 0 || hwm < 0) throw new InvalidOperationException($"/proc/{pid}/status has no VmRSS/VmHWM");
        return (rss, hwm);

        static long KiB(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }
}
