// MemfdRoundTrip (scenarios memfd-roundtrip and cross-version-chain): two sessions hold memfds of 4 KiB, 64 MiB and
// 256 MiB filled from seeded patterns — one sealed WRITE|GROW|SHRINK, one with a non-zero
// file position. The first hop preserves them; every later hop retrieves both sessions,
// checks SHA-256, size, position and seals of every memfd, finishes the sessions and
// checks they are gone; a middle hop of a chain then preserves the same memfds again.
using LiveUpdate.Kernel;
using LiveUpdate.Kernel.Errors;
using LiveUpdate.GuestContract;

namespace LiveUpdate.Guest.Scenarios;

public sealed class MemfdRoundTrip(GuestPlan plan, ResultChannel results)
{
    private sealed record PreservedFile(string Session, ulong Token, long Size, ulong Seed, long Position, MemFdSeals Seals);

    private static readonly PreservedFile[] Files =
    [
        new(StepNames.MemfdRoundTrip.AlphaSession, 1, 4 << 10, 0x5151_0001, 1234, MemFdSeals.None),
        new(StepNames.MemfdRoundTrip.AlphaSession, 2, 64L << 20, 0x5151_0002, 0, MemFdSeals.None),
        new(StepNames.MemfdRoundTrip.BetaSession, 3, 256L << 20, 0x5151_0003, 0, MemFdSeals.Write | MemFdSeals.Grow | MemFdSeals.Shrink),
    ];

    private static IEnumerable<string> SessionNames => Files.Select(f => f.Session).Distinct();

    /// <summary>Sessions must stay open until the reboot; this keeps them referenced (and out of the finalizer's reach).</summary>
    private static readonly List<LiveUpdateSession> HeldSessions = [];

    public async Task<bool> RunAsync()
    {
        using var device = LiveUpdateDevice.Open();
        Dictionary<ulong, MemFd> memfds;
        if (plan.IsFirstHop)
        {
            memfds = [];
            foreach (var file in Files)
            {
                bool ok = await results.StepAsync(StepNames.MemfdRoundTrip.Create(file.Token), () =>
                {
                    var memfd = MemFd.Create($"lu-s1-{file.Token}");
                    string sha = MemFdContent.Fill(memfd, file.Seed, file.Size);
                    memfd.Position = file.Position;
                    if (file.Seals != MemFdSeals.None) memfd.AddSeals(file.Seals);
                    memfds[file.Token] = memfd;
                    return $"{file.Size} bytes sha256={sha} pos={file.Position} seals={file.Seals}";
                });
                if (!ok) return false;
            }
        }
        else
        {
            var retrieved = await RetrieveAndVerifyAsync(device);
            if (retrieved is null) return false;
            memfds = retrieved;
        }

        if (plan.IsLastHop)
            return true;

        return await results.StepAsync(StepNames.MemfdRoundTrip.Preserve, () =>
        {
            foreach (string name in SessionNames)
            {
                var session = device.CreateSession(name);
                HeldSessions.Add(session);
                foreach (var file in Files.Where(f => f.Session == name))
                    session.Preserve(memfds[file.Token], file.Token);
            }
            foreach (var memfd in memfds.Values) memfd.Dispose(); // the kernel holds its own references now
            return $"{Files.Length} memfds ({Files.Sum(f => f.Size)} bytes) preserved in {HeldSessions.Count} sessions, session fds held open";
        });
    }

    private async Task<Dictionary<ulong, MemFd>?> RetrieveAndVerifyAsync(LiveUpdateDevice device)
    {
        var memfds = new Dictionary<ulong, MemFd>();
        foreach (string name in SessionNames)
        {
            LiveUpdateSession? session = null;
            bool ok = await results.StepAsync(StepNames.MemfdRoundTrip.Retrieve(name), () =>
            {
                session = device.RetrieveSession(name);
                string kernelName = session.GetName();
                if (kernelName != name) throw new InvalidOperationException($"GET_NAME returned '{kernelName}', expected '{name}'");
                return $"retrieved session '{kernelName}'";
            });
            if (!ok || session is null) return null;

            foreach (var file in Files.Where(f => f.Session == name))
            {
                ok = await results.StepAsync(StepNames.MemfdRoundTrip.Verify(file.Token), () =>
                {
                    var memfd = session.RetrieveMemFd(file.Token);
                    memfds[file.Token] = memfd;
                    string expected = SeededPattern.Sha256Of(file.Seed, file.Size);
                    long size = memfd.Size;
                    long position = memfd.Position;
                    var seals = memfd.Seals;
                    string actual = MemFdContent.Sha256(memfd);
                    var problems = new List<string>();
                    if (size != file.Size) problems.Add($"size {size} != {file.Size}");
                    if (actual != expected) problems.Add($"sha256 {actual} != {expected}");
                    if (position != file.Position) problems.Add($"position {position} != {file.Position}");
                    if (seals != file.Seals) problems.Add($"seals {seals} != {file.Seals}");
                    if (problems.Count > 0) throw new InvalidOperationException($"token {file.Token}: " + string.Join("; ", problems));
                    return $"token {file.Token}: {size} bytes sha256={actual} pos={position} seals={seals} — match";
                });
                if (!ok) return null;
            }

            ok = await results.StepAsync(StepNames.MemfdRoundTrip.Finish(name), () =>
            {
                session.Finish();
                session.Dispose();
                try
                {
                    using var again = device.RetrieveSession(name);
                    throw new InvalidOperationException($"session '{name}' can still be retrieved after FINISH and close");
                }
                catch (SessionNotFoundException)
                {
                    return $"finished; '{name}' is gone (RETRIEVE_SESSION → ENOENT)";
                }
            });
            if (!ok) return null;
        }
        return memfds;
    }
}
