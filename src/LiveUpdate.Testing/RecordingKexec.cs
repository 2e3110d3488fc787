// RecordingKexec: the kexec luod's tests give it — records what would have been loaded
// and never reboots the test machine.
using LiveUpdate.Daemon;

namespace LiveUpdate.Testing;

/// <summary>
/// The kexec an in-process luod performs: it records each kernel load, unload and reboot
/// request and never reboots the machine the tests run on.
/// </summary>
public sealed class RecordingKexec : IKexecPerformer
{
    /// <summary>Every kernel luod loaded, in order.</summary>
    public List<KexecRequest> Loaded { get; } = [];

    /// <summary>How many times luod asked to reboot into the loaded kernel.</summary>
    public int Reboots { get; private set; }

    /// <summary>How many times luod unloaded a staged kernel (a cancelled update).</summary>
    public int Unloads { get; private set; }

    /// <summary>When set, Load fails with this error (as kexec_file_load would).</summary>
    public Exception? LoadFailure { get; set; }

    /// <summary>Completes when RebootAsync is called (the reboot itself never returns in real life).</summary>
    public TaskCompletionSource Rebooted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Records <paramref name="request"/>, or throws <see cref="LoadFailure"/>.</summary>
    public void Load(KexecRequest request)
    {
        if (LoadFailure is not null) throw LoadFailure;
        Loaded.Add(request);
    }

    /// <summary>Counts an unload.</summary>
    public void Unload() => Unloads++;

    /// <summary>Counts the reboot and completes <see cref="Rebooted"/>; returns at once.</summary>
    public Task RebootAsync()
    {
        Reboots++;
        Rebooted.TrySetResult();
        return Task.CompletedTask;
    }
}
