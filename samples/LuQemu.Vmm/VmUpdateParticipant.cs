// VmUpdateParticipant: luqemu's part in luod's orchestrated update (the SDK's IUpdateParticipant).
//   prepare  nothing the VM can see: the device-state and handover memfds are made ready;
//   freeze   QMP stop (the vCPUs pause: the VM's blackout starts at QEMU's STOP timestamp), the
//            device state migrated into the state memfd (RAM excluded: it is the preserved memfd),
//            optionally the RAM hashed, state + handover preserved beside the RAM, QEMU quits;
//   resume   (the update was cancelled) the VM carries on in this kernel: cont if QEMU still runs,
//            else a new QEMU loads the saved state on the same RAM.
// A failure in freeze is thrown back to luod, which cancels the update; resume then runs the VM on.
using System.Diagnostics;
using LiveUpdate.Client;
using LiveUpdate.Kernel;

namespace LuQemu;

public sealed class VmUpdateParticipant(VmKeeper keeper, TextWriter log) : IUpdateParticipant
{
    private MemFd? _state;
    private MemFd? _handover;

    /// <summary>When the vCPUs stopped in the last freeze (QMP STOP): luod's blackout for this VM starts there.</summary>
    public DateTimeOffset? PausedAt { get; private set; }

    public Task PrepareAsync(UpdateNotice notice, CancellationToken cancellationToken)
    {
        _state?.Dispose();
        _handover?.Dispose();
        _state = MemFd.Create($"luqemu-{keeper.Name}-state");
        _handover = MemFd.Create($"luqemu-{keeper.Name}-handover");
        PausedAt = null;
        log.WriteLine($"luqemu: update {notice.UpdateId}: prepared (the VM runs on until freeze)");
        return Task.CompletedTask;
    }

    public async Task FreezeAsync(UpdateNotice notice, CancellationToken cancellationToken)
    {
        var qemu = keeper.Qemu ?? throw new InvalidOperationException("no QEMU is running");
        var state = _state ?? throw new InvalidOperationException("freeze before prepare");
        var clock = Stopwatch.StartNew();
        var stoppedAt = await qemu.PauseAsync(cancellationToken).ConfigureAwait(false);
        PausedAt = stoppedAt;
        double stopMs = clock.Elapsed.TotalMilliseconds;
        long stateBytes = await qemu.SaveDeviceStateAsync(state, cancellationToken).ConfigureAwait(false);
        double saveMs = clock.Elapsed.TotalMilliseconds;
        string? ramSha = keeper.VerifyRam ? MemFdDigest.Sha256(keeper.Ram) : null;
        double hashMs = clock.Elapsed.TotalMilliseconds;
        var handover = new VmHandover(VmHandover.CurrentVersion, keeper.Definition, stoppedAt, stateBytes, ramSha, keeper.QemuVersion);
        _handover!.Write(handover.ToBytes(), 0);
        await keeper.Session.PreserveAsync(VmKeeper.StateFile, state, cancellationToken).ConfigureAwait(false);
        await keeper.Session.PreserveAsync(VmKeeper.HandoverFile, _handover, cancellationToken).ConfigureAwait(false);
        double preserveMs = clock.Elapsed.TotalMilliseconds;
        await keeper.StopQemuAsync().ConfigureAwait(false);
        keeper.StateSaved = true;
        log.WriteLine($"luqemu: update {notice.UpdateId}: vCPUs stopped at {stoppedAt:O} ({stopMs:F0} ms), device state {stateBytes} bytes saved (+{saveMs - stopMs:F0} ms)"
            + (ramSha is null ? "" : $", RAM sha256 {ramSha} (+{hashMs - saveMs:F0} ms)")
            + $", preserved (+{preserveMs - hashMs:F0} ms), QEMU quit (+{clock.Elapsed.TotalMilliseconds - preserveMs:F0} ms)");
        log.Flush();
    }

    public async Task ResumeAsync(UpdateNotice notice, CancellationToken cancellationToken)
    {
        log.WriteLine($"luqemu: update {notice.UpdateId} cancelled ({notice.Reason}); the VM carries on in this kernel");
        await keeper.ResumeHereAsync(_state, cancellationToken).ConfigureAwait(false);
        _state = null;
        _handover?.Dispose();
        _handover = null;
        log.Flush();
    }
}
