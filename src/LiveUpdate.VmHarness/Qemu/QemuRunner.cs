// QemuRunner: boots one QemuLaunch and waits for QEMU to exit (the guest reboots at the end of
// a run). A run that exceeds its timeout has its process tree killed and is reported as timed
// out; cancelling the token kills it too and throws OperationCanceledException.
using System.Diagnostics;
using LiveUpdate.VmHarness.Host;

namespace LiveUpdate.VmHarness.Qemu;

public static class QemuRunner
{
    public static async Task<QemuOutcome> RunAsync(QemuLaunch launch, TimeSpan timeout, string qemuLogPath, CancellationToken cancellationToken)
    {
        foreach (var file in new[] { launch.ConsoleLog, launch.ResultsLog })
        {
            File.Delete(file);
        }
        var command = new ExternalCommand(QemuLaunch.Executable, launch.Arguments);
        await File.WriteAllTextAsync(qemuLogPath, "", cancellationToken).ConfigureAwait(false);

        using var timeoutSource = new CancellationTokenSource(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        var stopwatch = Stopwatch.StartNew();
        try
        {
            var exitCode = await command.RunToLogAsync(qemuLogPath, onLine: null, linked.Token).ConfigureAwait(false);
            return new QemuOutcome(exitCode, TimedOut: false, stopwatch.Elapsed, qemuLogPath);
        }
        catch (OperationCanceledException) when (timeoutSource.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return new QemuOutcome(null, TimedOut: true, stopwatch.Elapsed, qemuLogPath);
        }
    }
}
