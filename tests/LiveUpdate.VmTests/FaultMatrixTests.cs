// FaultMatrixTests: the fault matrix of issue 14 as VM tests, a real kexec each (Category=Vm).
// fault-participants: participants SIGKILLed in prepare (the update cancels at once, everyone
// resumes intact, nothing staged) and after freeze (their sessions are carried and claimed
// intact in 7.3), and one gone before it claims (OrphanPolicy Finish removes its session).
// fault-luod-killed: luod SIGKILLed during prepare and freeze with the fd store (sessions kept,
// the interrupted update's kernel unloaded, a paused participant resumed), a real kexec of the
// survivors, a kill between claim and finish in 7.3, and one without the fd store (CustodyLost).
// fault-catalog-damaged: luod's catalog memfd damaged before a direct kexec; the next luod says
// so and lists nothing it cannot prove. fault-luod-held: luod SIGKILLed at its test-only holds
// (LUOD_TEST_HOLD) before the reboot (no reboot, nothing lost, kernel unloaded) and mid-restore in
// 7.3 (the restart from the fd store restores every session).
// fault-kexec-and-limits: kexec_file_load refused by the kernel (a damaged boot header: ENOEXEC;
// an initrd larger than any KHO scratch area: EADDRNOTAVAIL) before anyone pauses, the kernel's
// ENOMEM for a 2 TiB memfd, luod's quota; every session intact across the update that follows.
// docs/reliability.md has every cell.
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness;
using LiveUpdate.VmHarness.Runs;
using Xunit.Abstractions;
using static LiveUpdate.VmTests.PassingRun;
using Steps = LiveUpdate.GuestContract.StepNames.FaultParticipants;

namespace LiveUpdate.VmTests;

[Collection(VmFixture.CollectionName)]
[Trait("Category", "Vm")]
public sealed class FaultMatrixTests : IDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan OverallLimit = TimeSpan.FromMinutes(45);

    private readonly VmFixture fixture;
    private readonly ITestOutputHelper output;
    private readonly IDisposable attachment;

    public FaultMatrixTests(VmFixture fixture, ITestOutputHelper output)
    {
        this.fixture = fixture;
        this.output = output;
        attachment = fixture.AttachOutput(output);
    }

    public void Dispose() => attachment.Dispose();

    [Fact]
    public async Task Fault_participants_killed_in_prepare_cancels_killed_after_freeze_is_carried_gone_before_claim_is_finished_by_policy()
    {
        var result = await RunAcrossOneKexecAsync(ScenarioNames.FaultParticipants);
        AssertStepsPassed(result, 0, Steps.LuodStart, Steps.Setup, Steps.KilledInPrepareCancels, Steps.EveryoneResumed, Steps.SecondParticipants, Steps.KilledAfterFreeze);
        AssertStepsPassed(result, 1, Steps.LuodStart, Steps.Resume("steady"), Steps.Resume("killed-after-freeze"), Steps.KilledInPrepareKept, Steps.GoneFinishedByPolicy);
        Assert.Contains("UpdateCancelled", Detail(result, 0, Steps.KilledInPrepareCancels));
        Assert.Contains("data intact", Detail(result, 0, Steps.EveryoneResumed));
        Assert.Contains("intact", Detail(result, 1, Steps.Resume("killed-after-freeze")));
        Assert.Contains("match", Detail(result, 1, Steps.KilledInPrepareKept));
        Assert.Contains("SessionNotFound", Detail(result, 1, Steps.GoneFinishedByPolicy));
    }

    [Fact]
    public async Task Fault_luod_killed_loses_nothing_with_the_fd_store_and_says_custody_lost_without()
    {
        var result = await RunAcrossOneKexecAsync(ScenarioNames.FaultLuodKilled);
        AssertStepsPassed(result, 0, StepNames.FaultLuodKilled.Setup, StepNames.FaultLuodKilled.KillDuringPrepare,
            StepNames.FaultLuodKilled.RestartAfterPrepareKill, StepNames.FaultLuodKilled.KillDuringFreeze, StepNames.FaultLuodKilled.RestartAfterFreezeKill);
        AssertStepsPassed(result, 1, StepNames.FaultLuodKilled.RestoreWithFdStore, StepNames.FaultLuodKilled.KillBetweenClaimAndFinish,
            StepNames.FaultLuodKilled.RestartAfterClaimKill, StepNames.FaultLuodKilled.EverySessionIntact,
            StepNames.FaultLuodKilled.NoFdStoreKillDuringPrepare, StepNames.FaultLuodKilled.NoFdStoreCustodyLost);
        // Every carried session's bytes came back equal, after the kexec and after a kill between claim and finish.
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Matches(Detail(result, 1, StepNames.FaultLuodKilled.EverySessionIntact), "sha256=[0-9a-f]{64} — match").Count);
        Assert.Contains("custodyLost=false", Detail(result, 0, StepNames.FaultLuodKilled.RestartAfterFreezeKill));
        // The SDK resubscribes after each restart (so the second update froze all three), and a participant frozen
        // when luod died resumes only on the restarted luod's word that the update ended without a kexec.
        Assert.Contains("link up: subscribed again", Detail(result, 0, StepNames.FaultLuodKilled.RestartAfterPrepareKill));
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Matches(Detail(result, 0, StepNames.FaultLuodKilled.RestartAfterFreezeKill), "ended in this boot without a kexec").Count);
        Assert.Contains("keeper: ", Detail(result, 0, StepNames.FaultLuodKilled.KillDuringFreeze));
        Assert.Contains("custodyLost=false", Detail(result, 1, StepNames.FaultLuodKilled.RestartAfterClaimKill));
        Assert.Contains("io.liveupdate.CustodyLost", Detail(result, 1, StepNames.FaultLuodKilled.NoFdStoreCustodyLost));
        // A participant that had paused is resumed by the SDK when luod dies during prepare.
        Assert.Contains("luod's connection closed during prepare", Detail(result, 0, StepNames.FaultLuodKilled.KillDuringPrepare));
        // The claims were written before the kill: the restarted luod lists them as claimed.
        Assert.Contains("keeper=claimed", Detail(result, 1, StepNames.FaultLuodKilled.RestartAfterClaimKill));
        Assert.Contains("ice=claimed", Detail(result, 1, StepNames.FaultLuodKilled.RestartAfterClaimKill));
    }

    /// <summary>Runs <paramref name="scenario"/> on <paramref name="kernels"/> (default 7.2 → 7.3); it must pass and boot once per kernel (a real kexec between each).</summary>
    private Task<VmRunResult> RunAcrossOneKexecAsync(string scenario, string[]? kernels = null) =>
        PassingRun.RunAsync(fixture, output, scenario, kernels ?? ["7.2", "7.3"], RunTimeout, OverallLimit);

    private static string Detail(VmRunResult result, int hop, string name) => result.Report.Steps.Single(s => s.Hop == hop && s.Name == name).Detail;

    [Fact]
    public async Task Fault_catalog_damaged_before_the_reboot_is_reported_and_nothing_is_guessed()
    {
        var result = await RunAcrossOneKexecAsync(ScenarioNames.FaultCatalogDamaged);
        string reported = result.Report.Steps.Single(s => s.Name == StepNames.FaultCatalogDamaged.ReportedUnreadable).Detail;
        Assert.Contains("SHA-256", reported);
        Assert.Contains("sessions listed: 0", reported);
        Assert.True(result.Report.Steps.Single(s => s.Name == StepNames.FaultCatalogDamaged.ClaimRefused).Ok);
    }

    [Fact]
    public async Task Fault_luod_held_killed_before_the_reboot_and_mid_restore_loses_nothing_with_the_fd_store_and_says_custody_lost_without()
    {
        // Three boots: the third is a luod without an fd store killed mid-restore.
        var result = await RunAcrossOneKexecAsync(ScenarioNames.FaultLuodHeld, ["7.2", "7.3", "7.3"]);
        AssertStepsPassed(result, 2, StepNames.FaultLuodHeld.NoFdStoreKillMidRestore, StepNames.FaultLuodHeld.NoFdStoreRestartAfterRestoreKill);
        string plain = Detail(result, 2, StepNames.FaultLuodHeld.NoFdStoreRestartAfterRestoreKill);
        Assert.Contains("\"custodyLost\":true", plain);
        Assert.Contains("io.liveupdate.CustodyLost", plain); // the one session the killed luod had retrieved
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(plain, "sha256=[0-9a-f]{64} — match").Count); // the others, retrieved by name
        AssertStepsPassed(result, 0, StepNames.FaultLuodHeld.Setup, StepNames.FaultLuodHeld.KillBeforeReboot,
            StepNames.FaultLuodHeld.RestartAfterRebootKill, StepNames.FaultLuodHeld.Participants);
        AssertStepsPassed(result, 1, StepNames.FaultLuodHeld.KillMidRestore, StepNames.FaultLuodHeld.RestartAfterRestoreKill,
            StepNames.FaultLuodHeld.EverySessionIntact, StepNames.FaultLuodHeld.NoFdStoreKillBeforeReboot, StepNames.FaultLuodHeld.NoFdStoreCustodyLost);
        // Held after every freeze acknowledgement with the kernel staged; killed there, no reboot and nothing lost.
        string held = Detail(result, 0, StepNames.FaultLuodHeld.KillBeforeReboot);
        Assert.Contains("kexec_loaded=1", held);
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Matches(held, "heard freeze").Count);
        string restart = Detail(result, 0, StepNames.FaultLuodHeld.RestartAfterRebootKill);
        Assert.Contains("unchanged", restart);
        Assert.Contains("kexec_loaded=0", restart);
        Assert.Contains("alpha=open, beta=open, gamma=open, custodyLost=false", restart);
        // The SDK resubscribes the frozen participants to the restarted luod, which says the update ended without a kexec: they resume.
        string participants = Detail(result, 0, StepNames.FaultLuodHeld.Participants);
        Assert.Contains("all three resumed", participants);
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Matches(participants, "ended in this boot without a kexec[^|]*data intact").Count);
        // Killed mid-restore with one session and the unfinished catalog parked; the restart restores all three, bytes equal.
        Assert.Matches("luo-in\\.luod\\.catalog\\.", Detail(result, 1, StepNames.FaultLuodHeld.KillMidRestore));
        Assert.Contains("alpha=restored, beta=restored, gamma=restored, custodyLost=false", Detail(result, 1, StepNames.FaultLuodHeld.RestartAfterRestoreKill));
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Matches(Detail(result, 1, StepNames.FaultLuodHeld.EverySessionIntact), "sha256=[0-9a-f]{64} — match").Count);
        // Without the fd store, held before the reboot of an update to 7.3 itself: the kernel was staged and the participant frozen.
        string plainHeld = Detail(result, 1, StepNames.FaultLuodHeld.NoFdStoreKillBeforeReboot);
        Assert.Contains("kexec_loaded=1; delta heard freeze", plainHeld);
        // Killed there: data lost by design (nothing else held the session), and said so; no reboot, kernel unloaded,
        // the participant resumes on the restarted luod's word with its own memory intact.
        string plainLost = Detail(result, 1, StepNames.FaultLuodHeld.NoFdStoreCustodyLost);
        Assert.Contains("unchanged", plainLost);
        Assert.Contains("kexec_loaded=0", plainLost);
        Assert.Contains("delta is lost; retrieve refused: ", plainLost);
        Assert.Contains("io.liveupdate.CustodyLost", plainLost);
        Assert.Contains("\"custodyLost\":true", plainLost);
        Assert.Matches("resume [^/]*ended in this boot without a kexec[^/]*data intact", plainLost);
    }

    [Fact]
    public async Task Fault_kexec_refused_by_the_kernel_and_limits_cancel_before_any_pause_and_lose_nothing()
    {
        var result = await RunAcrossOneKexecAsync(ScenarioNames.FaultKexecAndLimits);
        AssertStepsPassed(result, 0, StepNames.FaultKexecAndLimits.Setup, StepNames.FaultKexecAndLimits.CorruptImageRefused,
            StepNames.FaultKexecAndLimits.InitrdTooLargeRefused, StepNames.FaultKexecAndLimits.PreserveOutOfMemory,
            StepNames.FaultKexecAndLimits.QuotaExceeded, StepNames.FaultKexecAndLimits.NothingPausedOrLost);
        AssertStepsPassed(result, 1, StepNames.FaultKexecAndLimits.EverySessionIntact);
        string corrupt = Detail(result, 0, StepNames.FaultKexecAndLimits.CorruptImageRefused);
        Assert.Contains("io.liveupdate.UpdateCancelled", corrupt);
        Assert.Contains("(errno 8)", corrupt);
        Assert.Contains("0xAA55", corrupt);
        string initrd = Detail(result, 0, StepNames.FaultKexecAndLimits.InitrdTooLargeRefused);
        Assert.Contains("io.liveupdate.UpdateCancelled", initrd);
        Assert.Contains("(errno 99)", initrd);
        Assert.Contains("kho_scratch", initrd);
        foreach (string refused in new[] { corrupt, initrd })
        {
            Assert.Contains("never heard prepare", refused);
            Assert.Contains("kexec_loaded=0", refused);
        }
        string enomem = Detail(result, 0, StepNames.FaultKexecAndLimits.PreserveOutOfMemory);
        Assert.Contains("\"PreserveFd\"", enomem);
        Assert.Contains("\"errno\":12", enomem);
        Assert.Contains("io.liveupdate.QuotaExceeded", Detail(result, 0, StepNames.FaultKexecAndLimits.QuotaExceeded));
        string intact = Detail(result, 1, StepNames.FaultKexecAndLimits.EverySessionIntact);
        Assert.Contains("subscriber: intact", intact);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(intact, "sha256=[0-9a-f]{64} — match").Count);
    }
}
