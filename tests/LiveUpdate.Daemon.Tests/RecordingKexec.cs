// RecordingKexec: the kexec luod's tests give it — records what would have been loaded
// and never reboots the test machine.
namespace LiveUpdate.Daemon.Tests;

internal sealed class RecordingKexec : IKexecPerformer
{
    public List<KexecRequest> Loaded { get; } = [];

    public int Reboots { get; private set; }

    public int Unloads { get; private set; }

    /// <summary>When set, Load fails with this error (as kexec_file_load would).</summary>
    public Exception? LoadFailure { get; set; }

    /// <summary>Completes when RebootAsync is called (the reboot itself never returns in real life).</summary>
    public TaskCompletionSource Rebooted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Load(KexecRequest request)
    {
        if (LoadFailure is not null) throw LoadFailure;
        Loaded.Add(request);
    }

    public void Unload() => Unloads++;

    public Task RebootAsync()
    {
        Reboots++;
        Rebooted.TrySetResult();
        return Task.CompletedTask;
    }
}
