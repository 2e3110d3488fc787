// TerminationSignals: turns SIGINT, SIGTERM and SIGHUP into a cancelled token instead of an
// immediate exit, so luvm kills QEMU and in-flight builds before it ends (no orphaned VMs).
using System.Runtime.InteropServices;

namespace LiveUpdate.VmHarness.Cli;

public sealed class TerminationSignals : IDisposable
{
    private readonly CancellationTokenSource source = new();
    private readonly PosixSignalRegistration[] registrations;

    public TerminationSignals()
    {
        registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal),
        ];
    }

    /// <summary>Cancelled on the first termination signal.</summary>
    public CancellationToken Token => source.Token;

    public void Dispose()
    {
        foreach (var registration in registrations)
        {
            registration.Dispose();
        }
        source.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        // Keep the process alive; the cancelled token unwinds the work and Main returns.
        context.Cancel = true;
        source.Cancel();
    }
}
