// Advise (scenario advise): what `luoctl advise` recommends for our own guest. On every hop luod
// holds one managed session with a 64 MiB memfd (4 KiB pages: shmem_enabled is never here), then
// `luoctl advise --json` runs against the next kernel of the chain (the last hop: its own kernel)
// with the initramfs this boot came from (/sys/firmware/initrd, what the next kexec loads again);
// the JSON is the step's detail, which the VM test checks against the machine. luod is stopped
// before the harness's kexec, so the session goes with it.
using LiveUpdate.GuestContract;

namespace LiveUpdate.Guest.Scenarios;

public sealed class Advise(GuestPlan plan, ResultChannel results)
{
    private const string ShmemEnabled = "/sys/kernel/mm/transparent_hugepage/shmem_enabled";

    public async Task<bool> RunAsync()
    {
        LuodProcess? luod = null;
        bool ok = await results.StepAsync(StepNames.Advise.Setup, async () =>
        {
            if (File.Exists(ShmemEnabled)) await File.WriteAllTextAsync(ShmemEnabled, "never");
            (luod, var ready) = await LuodProcess.StartAsync("--OrphanGrace=00:10:00");
            string file = "/tmp/advise-4k.bin";
            await using (var stream = File.Create(file))
            {
                var chunk = new byte[1 << 20];
                for (int i = 0; i < StepNames.Advise.SessionMiB; i++)
                {
                    chunk.AsSpan().Fill((byte)i);
                    await stream.WriteAsync(chunk);
                }
            }
            await LuodProcess.LuoctlOkAsync("preserve", "--session", StepNames.Advise.Session, "--name", "data", "--file", file);
            File.Delete(file);
            return $"luod ready in {ready.TotalMilliseconds:F0} ms; session {StepNames.Advise.Session} holds {StepNames.Advise.SessionMiB} MiB (shmem_enabled never)";
        });
        if (!ok) return false;
        string tag = plan.IsLastHop ? plan.CurrentTag : plan.NextTag;
        ok &= await results.StepAsync(StepNames.Advise.Json, async () =>
        {
            var (code, output, error) = await LuodProcess.LuoctlAsync(null, "advise", "--kernel", $"/boot/{tag}/bzImage", "--initrd", NextKernelHop.RetainedInitrd, "--json");
            if (code != 0) throw new InvalidOperationException($"luoctl advise exited {code}: {error} {output}");
            return output;
        });
        if (luod is not null) await luod.KillAsync();
        return ok;
    }
}
