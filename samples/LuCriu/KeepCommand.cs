// KeepCommand: `lucriu keep` — checks the program and the work directory, subscribes to luod
// as participant NAME (CheckpointParticipant does the work in each update) and stays
// subscribed until stopped. Program waits for SIGTERM/SIGINT; tests dispose the result.
using LiveUpdate.Client;
using LiveUpdate.Kernel;

namespace LuCriu;

internal sealed class KeepCommand : IAsyncDisposable
{
    private readonly UpdateSubscription _subscription;

    private KeepCommand(UpdateSubscription subscription, CheckpointParticipant participant)
    {
        _subscription = subscription;
        Participant = participant;
    }

    public CheckpointParticipant Participant { get; }

    /// <summary>Starts keeping <see cref="LuCriuOptions.Pid"/>: returns once luod confirmed the subscription.</summary>
    public static async Task<KeepCommand> StartAsync(LuCriuOptions options, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (options.Pid == Environment.ProcessId) throw new ProgramNotFoundException($"pid {options.Pid} is lucriu itself; give the program's pid");
        if (!ProcessTree.Exists(options.Pid)) throw new ProgramNotFoundException($"pid {options.Pid} does not exist");
        var layout = new CriuLayout(options.CriuRoot, options.Name, options.WorkDirectory);
        Directory.CreateDirectory(layout.WorkOnHost);
        WarnUnlessInMemory(layout.WorkOnHost, error);
        var log = new StepLog(output);
        var participant = new CheckpointParticipant(options, layout, log);
        await using var luod = await LiveUpdateClient.ConnectAsync(options.LuodSocket, cancellationToken).ConfigureAwait(false);
        var subscription = await luod.SubscribeAsync(options.Name, participant, cancellationToken).ConfigureAwait(false);
        log.Note($"taking part in live updates: keeping pid {options.Pid} ({string.Join(' ', ProcessTree.CommandLine(options.Pid))}) as luod participant '{options.Name}'; " +
            $"images in {layout.ImagesOnHost}{(options.CriuRoot is null ? "" : $" ({layout.ImagesInRoot} inside {options.CriuRoot})")}");
        return new KeepCommand(subscription, participant);
    }

    /// <summary>The images pass through the work directory on their way into memfds: on a disk they would be written out and read back.</summary>
    internal static void WarnUnlessInMemory(string directory, TextWriter error)
    {
        try
        {
            if (!FileSystemType.IsInMemory(directory))
                error.WriteLine($"lucriu: warning: {directory} is not on tmpfs or ramfs (statfs f_type 0x{FileSystemType.Of(directory):x}); " +
                    "criu's images would go through a disk — give --work a directory on tmpfs (e.g. under /run)");
        }
        catch (LiveUpdate.Kernel.Errors.LiveUpdateException e)
        {
            error.WriteLine($"lucriu: warning: cannot tell what {directory} is on: {e.Message}");
        }
    }

    public ValueTask DisposeAsync() => _subscription.DisposeAsync();
}

/// <summary>keep: the pid to carry is not a program lucriu can dump.</summary>
internal sealed class ProgramNotFoundException(string message) : Exception(message);
