// ChosenKexecPerformer: the kexec performer luod serves with while it is still finding out who
// performs an update's reboot (RebootByChoice asks PID 1 over D-Bus, which under a systemd that
// is still booting can take seconds). After a live update every client's blackout lasts until
// luod serves, so luod must not wait for that answer before READY=1: loading and unloading the
// kernel are luod's either way, and only the reboot at the end of an update awaits the choice.
namespace LiveUpdate.Daemon.Systemd;

public sealed class ChosenKexecPerformer(IKexecPerformer kernel, Task<IKexecPerformer> chosen) : IKexecPerformer
{
    public void Load(KexecRequest request) => kernel.Load(request);

    public void Unload() => kernel.Unload();

    public async Task RebootAsync() => await (await chosen.ConfigureAwait(false)).RebootAsync().ConfigureAwait(false);
}
