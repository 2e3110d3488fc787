// RecordingKexec: the kexec luod's tests give it — records what would have been loaded
// and never reboots the test machine.
namespace LiveUpdate.Daemon.Tests;

internal sealed class RecordingKexec : IKexecPerformer
{
    public List<KexecRequest> Loaded { get; } = [];

    public int Reboots { get; private set; }

    public void Load(KexecRequest request) => Loaded.Add(request);

    public Task RebootAsync()
    {
        Reboots++;
        return Task.CompletedTask;
    }
}
