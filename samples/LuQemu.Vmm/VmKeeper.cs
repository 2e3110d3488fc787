// VmKeeper: one VM kept by luqemu — its RAM memfd, preserved in luod's managed session <name>,
// and the QEMU running on it. Start either boots the VM cold (new RAM, new session) or, when luod
// holds the session from the previous kernel, claims RAM + device state + handover and resumes
// the VM where it stopped: QEMU -incoming on the same RAM, `cont`, then Resumed to luod with
// QEMU's RESUME timestamp. Then the RAM goes into a fresh session, ready for the next update.
using System.Diagnostics;
using LiveUpdate.Client;
using LiveUpdate.Client.Errors;
using LiveUpdate.Kernel;

namespace LuQemu;

public sealed class VmKeeper(LiveUpdateClient luod, string name, VmDefinition definition, RunDirectory run, bool verifyRam, bool echoConsole, TextWriter log) : IAsyncDisposable
{
    public const string RamFile = "ram";
    public const string StateFile = "state";
    public const string HandoverFile = "handover";

    private ManagedSession? _session;
    private MemFd? _ram;

    public string Name => name;
    public VmDefinition Definition { get; private set; } = definition;
    public bool VerifyRam => verifyRam;
    public MemFd Ram => _ram ?? throw new InvalidOperationException("the VM has no RAM yet");
    public ManagedSession Session => _session ?? throw new InvalidOperationException("the VM has no session yet");
    public QemuProcess? Qemu { get; private set; }
    public string QemuVersion { get; private set; } = "";

    /// <summary>Fill a cold-booted VM's RAM with pseudo-random bytes first (RamFill), as if its memory were in use.</summary>
    public ulong? FillRamSeed { get; init; }

    /// <summary>When the vCPUs ran again after the last resume from luod's session (QMP RESUME).</summary>
    public DateTimeOffset? ResumedAt { get; private set; }

    /// <summary>Set once freeze saved the device state and QEMU quit (a cancelled update must then restart QEMU).</summary>
    public bool StateSaved { get; set; }

    /// <summary>Boots or resumes the VM; returns a one-line account of what happened.</summary>
    public async Task<string> StartAsync(CancellationToken cancellationToken)
    {
        ClaimedManagedSession? claimed = null;
        try
        {
            claimed = await luod.ClaimManagedAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (LuodSessionNotFoundException) { }
        catch (LuodWrongStateException error)
        {
            // The session was made in this kernel by a luqemu that is gone (and its QEMU with it): nothing to resume.
            log.WriteLine($"luqemu: session {name} is left from an earlier luqemu in this kernel ({error.Message}); releasing it and booting the VM cold");
            await luod.ReleaseAsync(name, cancellationToken).ConfigureAwait(false);
        }
        return claimed is null ? await BootColdAsync(cancellationToken).ConfigureAwait(false) : await ResumeClaimedAsync(claimed, cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> BootColdAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        _ram = MemFd.Create($"luqemu-{name}-ram");
        _ram.SetSize((long)Definition.RamMib << 20);
        if (FillRamSeed is { } seed) RamFill.Fill(_ram, seed);
        double fillMs = clock.Elapsed.TotalMilliseconds;
        // Preserving now fills the whole file with pages and pins them; from here on the VM's writes land in preserved memory.
        await NewSessionAsync(cancellationToken).ConfigureAwait(false);
        double preserveMs = clock.Elapsed.TotalMilliseconds;
        Qemu = await QemuProcess.StartAsync(Definition, _ram, null, run, echoConsole, cancellationToken).ConfigureAwait(false);
        QemuVersion = await ReadQemuVersionAsync(cancellationToken).ConfigureAwait(false);
        await Qemu.RunAsync(cancellationToken).ConfigureAwait(false);
        return $"VM {name} booted cold: {Definition.RamMib} MiB RAM{(FillRamSeed is null ? "" : $" filled with pseudo-random bytes ({fillMs:F0} ms)")} in a preserved memfd ({preserveMs - fillMs:F0} ms), QEMU {QemuVersion} running after {clock.Elapsed.TotalMilliseconds:F0} ms";
    }

    private async Task<string> ResumeClaimedAsync(ClaimedManagedSession claimed, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        foreach (var file in new[] { RamFile, StateFile, HandoverFile })
        {
            if (!claimed.Files.ContainsKey(file))
                throw new InvalidDataException($"session {name} has no '{file}' file (it has: {string.Join(", ", claimed.Files.Keys)}); it was not left by luqemu's freeze. Kept: the session, untouched (not finished).");
        }
        var handover = VmHandover.Read(claimed.Files[HandoverFile]);
        _ram = claimed.Files[RamFile];
        var state = claimed.Files[StateFile];
        // The machine is what it was (migration needs the same one); the QEMU binary is this command line's.
        var machine = handover.Definition with { Qemu = Definition.Qemu };
        if (machine != Definition)
            log.WriteLine($"luqemu: the VM was started as {machine}; resuming it with that definition, not {Definition}");
        Definition = machine;
        if (_ram.Size != (long)Definition.RamMib << 20)
            throw new InvalidDataException($"the preserved RAM is {_ram.Size} bytes, the VM has {Definition.RamMib} MiB. Kept: session {name}, claimed but not finished.");
        double claimMs = clock.Elapsed.TotalMilliseconds;
        string ramCheck = "";
        if (handover.RamSha256 is { } expected)
        {
            string actual = MemFdDigest.Sha256(_ram);
            if (actual != expected)
                throw new InvalidDataException($"the preserved RAM's SHA-256 is {actual}, at the vCPU stop it was {expected}: the RAM did not survive intact. Kept: session {name}, claimed but not finished.");
            ramCheck = $", RAM sha256 {actual} equals the one taken after the stop ({clock.Elapsed.TotalMilliseconds - claimMs:F0} ms)";
        }
        double beforeQemuMs = clock.Elapsed.TotalMilliseconds;
        state.Position = 0;
        DateTimeOffset resumedAt;
        double loadedMs;
        try
        {
            Qemu = await QemuProcess.StartAsync(Definition, _ram, state, run, echoConsole, cancellationToken).ConfigureAwait(false);
            loadedMs = clock.Elapsed.TotalMilliseconds;
            resumedAt = await Qemu.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is IOException or InvalidOperationException or TimeoutException or QmpException or FileNotFoundException)
        {
            // luod keeps a claimed session until it is finished, and lets its owner claim it again.
            throw new InvalidOperationException($"the VM could not be resumed: {error.Message}. Kept: session {name}, claimed but not finished, "
                + $"with the RAM ({_ram.Size} bytes) and the device state ({handover.StateBytes} bytes) saved at {handover.StoppedAt:O}; "
                + "fix the cause and run `luqemu run` with the same options again to resume it.", error);
        }
        ResumedAt = resumedAt;
        double runMs = clock.Elapsed.TotalMilliseconds;
        await luod.ResumedAsync(name, resumedAt, cancellationToken).ConfigureAwait(false);
        double resumedMs = clock.Elapsed.TotalMilliseconds;
        QemuVersion = await ReadQemuVersionAsync(cancellationToken).ConfigureAwait(false);

        // Ready for the next update: the RAM into a new session of the same name.
        await claimed.FinishAsync(cancellationToken).ConfigureAwait(false);
        await NewSessionAsync(cancellationToken).ConfigureAwait(false);
        state.Dispose();
        claimed.Files[HandoverFile].Dispose();
        var pause = resumedAt - handover.StoppedAt;
        return $"VM {name} resumed: claimed in {claimMs:F0} ms{ramCheck}; QEMU started and loaded {handover.StateBytes} bytes of device state in {loadedMs - beforeQemuMs:F0} ms; "
            + $"vCPUs running at {resumedAt:O} (+{runMs - loadedMs:F0} ms); Resumed told to luod (+{resumedMs - runMs:F0} ms); "
            + $"vCPU stop → resume by QEMU's clocks {pause.TotalMilliseconds:F0} ms (CLOCK_REALTIME of two kernels: ±1 s, luoctl report has the exact figure); "
            + $"RAM re-preserved for the next update (+{clock.Elapsed.TotalMilliseconds - resumedMs:F0} ms)";
    }

    /// <summary>A cancelled update: the VM runs on in this kernel.</summary>
    public async Task ResumeHereAsync(MemFd? savedState, CancellationToken cancellationToken)
    {
        if (!StateSaved && Qemu is not null)
        {
            if (!await Qemu.IsRunningAsync(cancellationToken).ConfigureAwait(false))
                await Qemu.RunAsync(cancellationToken).ConfigureAwait(false);
            log.WriteLine("luqemu: the VM runs on (its vCPUs never stopped, or were let go again)");
            return;
        }
        if (savedState is null) throw new InvalidOperationException("QEMU is gone and no device state was saved: the VM cannot be resumed");
        savedState.Position = 0;
        Qemu = await QemuProcess.StartAsync(Definition, Ram, savedState, run, echoConsole, cancellationToken).ConfigureAwait(false);
        await Qemu.RunAsync(cancellationToken).ConfigureAwait(false);
        StateSaved = false;
        savedState.Dispose();
        // The old session carries this update's state and handover; start a clean one for the next update.
        await luod.ReleaseAsync(name, cancellationToken).ConfigureAwait(false);
        await NewSessionAsync(cancellationToken).ConfigureAwait(false);
        log.WriteLine("luqemu: the VM was restarted from its saved device state on the same RAM and runs on in this kernel");
    }

    public async Task StopQemuAsync()
    {
        if (Qemu is null) return;
        await Qemu.QuitAsync().ConfigureAwait(false);
        await Qemu.DisposeAsync().ConfigureAwait(false);
        Qemu = null;
    }

    private async Task NewSessionAsync(CancellationToken cancellationToken)
    {
        _session = await luod.CreateManagedSessionAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
        await _session.PreserveAsync(RamFile, Ram, cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> ReadQemuVersionAsync(CancellationToken cancellationToken)
    {
        var version = await Qemu!.Qmp.ExecuteAsync("query-version", null, cancellationToken).ConfigureAwait(false);
        var qemu = version?["qemu"];
        return $"{(int?)qemu?["major"]}.{(int?)qemu?["minor"]}.{(int?)qemu?["micro"]}";
    }

    public async ValueTask DisposeAsync()
    {
        if (Qemu is not null) await Qemu.DisposeAsync().ConfigureAwait(false);
    }
}
