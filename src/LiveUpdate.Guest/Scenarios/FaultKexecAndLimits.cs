// FaultKexecAndLimits (scenario fault-kexec-and-limits, 7.2 → 7.3): two cells of the fault
// matrix (issue 14) in one kexec, with sessions held and a subscribed participant throughout.
//   kexec_file_load refused BY THE KERNEL, through `luoctl update` (our own path checks are
//        host-tested): (1) the real 7.3 bzImage with its boot_flag (0xAA55 at 0x1FE) zeroed — it
//        keeps "HdrS", is a regular file and passes the preflight, but bzImage64_probe answers
//        ENOEXEC ("No x86 boot sector present"); (2) an initrd of 768 MiB (a sparse memfd, so it
//        costs no memory until the kernel reads it), less than MemAvailable but larger than any
//        KHO scratch area (kho_scratch=128M,512M,256M), where kexec segments must lie with kho=on:
//        kho_locate_mem_hole answers EADDRNOTAVAIL. Each must cancel with KernelError KexecLoad
//        naming the errno (luod answers UpdateCancelled whose reason is the translated
//        KernelError: errno and fix), before any participant hears prepare, with nothing staged.
//   Limits: a 2 TiB sparse memfd preserved through luod — memfd_luo pins every page, and its
//        folio array (2^29 pointers, 4 GiB) is more than kvmalloc allows (INT_MAX), so the kernel
//        answers ENOMEM at once, without allocating and without the OOM killer; then luod's quota
//        (QuotaBytesPerOwner, set to 4 TiB so that the 2 TiB probe reaches the kernel) refuses a
//        5 TiB memfd with QuotaExceeded before the kernel sees it. The kernel's session and file
//        counts (510,000 sessions, 630,000 files per session: KHO_MAX_BLOCKS) are not reached
//        here: luod's RLIMIT_NOFILE comes first, and luod does not yet answer it with a typed
//        error (docs/reliability.md).
// Then a normal update crosses the kexec and every session's bytes are checked by SHA-256.
using System.Diagnostics;
using System.Text.Json.Nodes;
using LiveUpdate.Client;
using LiveUpdate.Client.Errors;
using LiveUpdate.GuestContract;
using LiveUpdate.Kernel;
using LiveUpdateProtocol = LiveUpdate.Protocol.LiveUpdateProtocol;
using Steps = LiveUpdate.GuestContract.StepNames.FaultKexecAndLimits;

namespace LiveUpdate.Guest.Scenarios;

public sealed class FaultKexecAndLimits(GuestPlan plan, ResultChannel results)
{
    private const string KexecLoaded = "/sys/kernel/kexec_loaded";
    private const long Quota = 4L << 40;
    private const long InitrdBytes = 768L << 20;
    private const long OutOfMemoryBytes = 2L << 40;
    private const long OverQuotaBytes = 5L << 40;
    private const int Errno_ENOEXEC = 8, Errno_ENOMEM = 12, Errno_EADDRNOTAVAIL = 99;
    private static readonly (string Name, int Mib, ulong Seed) Subscriber = ("subscriber", 4, 0x14_0101);
    private static readonly (string Session, long Bytes, ulong Seed)[] Kept = [("keep-a", 1 << 20, 0x14_0102), ("keep-b", 2 << 20, 0x14_0103)];

    public async Task<bool> RunAsync()
    {
        string[] options = ["--OrphanGrace=00:10:00", $"--QuotaBytesPerOwner={Quota}"];
        if (!await results.StepAsync(Steps.LuodStart, async () =>
            {
                var (luod, ready) = await LuodProcess.StartAsync(options);
                return $"luod pid {luod.Process.Id} ready in {ready.TotalMilliseconds:F0} ms ({string.Join(' ', options)})";
            }))
            return false;
        return plan.IsFirstHop ? await BeforeAsync() : await AfterAsync();
    }

    private async Task<bool> BeforeAsync()
    {
        bool ok = await results.StepAsync(Steps.Setup, async () =>
        {
            await UpdateParticipantProcess.StartAsync(Subscriber.Name, Subscriber.Mib, Subscriber.Seed);
            var kept = new List<string>();
            foreach (var (session, bytes, seed) in Kept)
                kept.Add(await ReferenceClients.LuoctlPreserveAsync(session, "data", seed, bytes));
            return $"participant {Subscriber.Name} ({Subscriber.Mib} MiB) subscribed; {string.Join("; ", kept)}";
        });
        if (!ok) return false;
        string initrd = await LuodProcess.CopyInitrdForNextHopAsync();
        string kernel = $"/boot/{plan.NextTag}/bzImage";
        string append = plan.NextHopCommandLine.ToString();

        ok &= await results.StepAsync(Steps.CorruptImageRefused, async () =>
        {
            const string corrupt = "/tmp/corrupt-bzImage";
            byte[] image = await File.ReadAllBytesAsync(kernel);
            string bootFlag = $"0x{image[0x1FF]:x2}{image[0x1FE]:x2}";
            image[0x1FE] = 0;
            image[0x1FF] = 0;
            await File.WriteAllBytesAsync(corrupt, image);
            return await RefusedUpdateAsync(["--kernel", corrupt, "--initrd", initrd], Errno_ENOEXEC,
                $"{corrupt} ({image.Length} bytes, {kernel} with boot_flag {bootFlag} → 0x0000, \"HdrS\" kept)");
        });
        ok &= await results.StepAsync(Steps.InitrdTooLargeRefused, async () =>
        {
            using var huge = MemFd.Create("huge-initrd");
            huge.SetSize(InitrdBytes);
            long available = MemAvailable();
            if (available <= InitrdBytes) throw new InvalidOperationException($"MemAvailable {available >> 20} MiB is not above the {InitrdBytes >> 20} MiB initrd: our own check would refuse it first");
            string path = $"/proc/{Environment.ProcessId}/fd/{huge.DangerousGetHandle()}";
            return await RefusedUpdateAsync(["--kernel", kernel, "--initrd", path], Errno_EADDRNOTAVAIL,
                $"{path} (a sparse memfd of {InitrdBytes >> 20} MiB; MemAvailable {available >> 20} MiB before, {MemAvailable() >> 20} MiB after)");
        });

        ok &= await results.StepAsync(Steps.PreserveOutOfMemory, async () =>
        {
            await using var client = await LiveUpdateClient.ConnectAsync(LuodProcess.Socket);
            var session = await client.CreateManagedSessionAsync("too-big");
            using var memfd = MemFd.Create("too-big");
            memfd.SetSize(OutOfMemoryBytes);
            var clock = Stopwatch.StartNew();
            try
            {
                await session.PreserveAsync("data", memfd);
                throw new InvalidOperationException($"the kernel preserved a {OutOfMemoryBytes >> 30} GiB sparse memfd");
            }
            catch (LuodKernelErrorException error)
            {
                double ms = clock.Elapsed.TotalMilliseconds;
                if (error.Operation != nameof(KernelOperation.PreserveFd) || error.Errno != Errno_ENOMEM)
                    throw new InvalidOperationException($"expected KernelError PreserveFd errno {Errno_ENOMEM}: {Describe(error)}");
                await client.ReleaseAsync("too-big");
                return $"{OutOfMemoryBytes >> 30} GiB sparse memfd → {Describe(error)} in {ms:F0} ms; luod pid alive, session too-big released";
            }
        });
        ok &= await results.StepAsync(Steps.QuotaExceeded, async () =>
        {
            await using var client = await LiveUpdateClient.ConnectAsync(LuodProcess.Socket);
            var session = await client.CreateManagedSessionAsync("over-quota");
            using var memfd = MemFd.Create("over-quota");
            memfd.SetSize(OverQuotaBytes);
            try
            {
                await session.PreserveAsync("data", memfd);
                throw new InvalidOperationException($"luod preserved {OverQuotaBytes >> 40} TiB over a {Quota >> 40} TiB quota");
            }
            catch (LuodQuotaExceededException error)
            {
                long used = Subscriber.Mib * (1L << 20) + Kept.Sum(k => k.Bytes);
                if (error.LimitBytes != Quota || error.RequestedBytes != used + OverQuotaBytes)
                    throw new InvalidOperationException($"QuotaExceeded limit {error.LimitBytes} requested {error.RequestedBytes}, expected {Quota} and {used + OverQuotaBytes}");
                await client.ReleaseAsync("over-quota");
                return $"{OverQuotaBytes >> 40} TiB memfd → {Describe(error)} ({used} bytes already preserved); session over-quota released";
            }
        });
        ok &= await results.StepAsync(Steps.NothingPausedOrLost, async () =>
        {
            string log = File.ReadAllText(UpdateParticipantProcess.LogOf(Subscriber.Name));
            if (log.Contains("prepare", StringComparison.Ordinal)) throw new InvalidOperationException($"{Subscriber.Name} heard prepare for a refused update: {log}");
            string loaded = File.ReadAllText(KexecLoaded).Trim();
            if (loaded != "0") throw new InvalidOperationException($"{KexecLoaded} is {loaded}");
            var sessions = await SessionStatesAsync();
            string[] expected = [Subscriber.Name, .. Kept.Select(k => k.Session)];
            foreach (string name in expected)
                if (sessions.GetValueOrDefault(name) != "open") throw new InvalidOperationException($"session {name} is {sessions.GetValueOrDefault(name) ?? "missing"}: {DescribeSessions(sessions)}");
            if (sessions.Count != expected.Length) throw new InvalidOperationException($"unexpected sessions: {DescribeSessions(sessions)}");
            return $"{Subscriber.Name} log: {log.Trim().Replace('\n', '|')} (no prepare); kexec_loaded=0; sessions {DescribeSessions(sessions)}";
        });
        if (!ok) return false;
        await LuodProcess.UpdateThroughLuodAsync(plan, results, () => File.ReadAllText(UpdateParticipantProcess.LogOf(Subscriber.Name)));
        return false;
    }

    private async Task<bool> AfterAsync()
    {
        return await results.StepAsync(Steps.EverySessionIntact, async () =>
        {
            var (code, output) = await UpdateParticipantProcess.ResumeAsync(Subscriber.Name, Subscriber.Mib, Subscriber.Seed);
            if (code != 0) throw new InvalidOperationException($"participant {Subscriber.Name} exited {code}: {output}");
            var details = new List<string> { output };
            foreach (var (session, bytes, seed) in Kept)
            {
                details.Add($"{session}/" + await ReferenceClients.LuoctlRetrieveAndCheckAsync(session, "data", seed, bytes));
                await LuodProcess.LuoctlOkAsync("finish", "--session", session);
            }
            return string.Join("; ", details);
        });
    }

    /// <summary>`luoctl update` that the kernel must refuse at kexec_file_load with <paramref name="errno"/>: KernelError KexecLoad, nothing staged, nobody told to prepare.</summary>
    private async Task<string> RefusedUpdateAsync(string[] files, int errno, string what)
    {
        var clock = Stopwatch.StartNew();
        var (code, output, error) = await LuodProcess.LuoctlAsync(null, ["update", .. files, "--append", plan.NextHopCommandLine.ToString(), "--timeout", "60"]);
        double ms = clock.Elapsed.TotalMilliseconds;
        // luod turns the load's KernelError into UpdateCancelled whose reason is the translated message (errno and fix).
        if (code != LuoctlExitContract.UpdateCancelled || !error.Contains(LiveUpdateProtocol.Errors.UpdateCancelled, StringComparison.Ordinal) || !error.Contains($"(errno {errno})", StringComparison.Ordinal))
            throw new InvalidOperationException($"luoctl update with {what}: exit {code} (expected {LuoctlExitContract.UpdateCancelled}, UpdateCancelled naming errno {errno}): {output} {error}");
        string log = File.ReadAllText(UpdateParticipantProcess.LogOf(Subscriber.Name));
        if (log.Contains("prepare", StringComparison.Ordinal)) throw new InvalidOperationException($"{Subscriber.Name} was told to prepare before the kernel was loaded: {log}");
        string loaded = File.ReadAllText(KexecLoaded).Trim();
        if (loaded != "0") throw new InvalidOperationException($"{KexecLoaded} is {loaded} after the refused load");
        string progress = string.Join('|', output.Split('\n').Where(l => !l.StartsWith(' ')));
        return $"{what}: refused in {ms:F0} ms, exit {code}; progress: {progress}; {error}; {Subscriber.Name} never heard prepare; kexec_loaded=0";
    }

    private static string Describe(LiveUpdateClientException error) => $"{error.ErrorName} {error.Parameters.ToJsonString()}";

    private static long MemAvailable() =>
        long.Parse(File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;

    private static async Task<Dictionary<string, string>> SessionStatesAsync()
    {
        string json = await LuodProcess.LuoctlOkAsync("sessions", "--all", "--json");
        return JsonNode.Parse(json)!["sessions"]!.AsArray().ToDictionary(s => s!["name"]!.GetValue<string>(), s => s!["state"]!.GetValue<string>());
    }

    private static string DescribeSessions(Dictionary<string, string> sessions) => string.Join(", ", sessions.Select(s => $"{s.Key}={s.Value}"));
}
