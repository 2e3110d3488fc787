// CheckpointParticipant: lucriu keep's answer to luod's orchestrated update (the SDK's
// IUpdateParticipant). prepare: the program still runs; its session is created and the images
// directory emptied. freeze: criu dumps the program (left stopped), every image goes into a
// memfd of its own that luod preserves, and each file is deleted as soon as it is copied, so the
// RAM is free again before the kexec. resume (a cancelled update): the stopped program is
// continued with SIGCONT in this kernel and the session given up.
using System.Diagnostics;
using LiveUpdate.Client;
using LiveUpdate.Client.Errors;
using LiveUpdate.Kernel;
using LiveUpdate.Kernel.Errors;

namespace LuCriu;

internal sealed class CheckpointParticipant(LuCriuOptions options, CriuLayout layout, StepLog log) : IUpdateParticipant
{
    /// <summary>The most files a luod managed session holds (SCM_MAX_FD: Claim hands them all back in one message).</summary>
    public const int MaxSessionFiles = 253;

    /// <summary>Images one checkpoint may have: the session's files less lucriu's manifest.</summary>
    public const int MaxImages = MaxSessionFiles - 1;

    private LiveUpdateClient? _luod;
    private ManagedSession? _session;
    private IReadOnlyList<string> _cmdline = [];
    private IReadOnlyList<int>? _stoppedTree;

    /// <summary>Set just before criu starts: the program stops serving there, which starts lucriu's blackout in luod's report.</summary>
    public DateTimeOffset? PausedAt { get; private set; }

    public async Task PrepareAsync(UpdateNotice notice, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        (PausedAt, _stoppedTree) = (null, null);
        if (options.Pid == Environment.ProcessId) throw new InvalidOperationException($"pid {options.Pid} is lucriu itself; give the program's pid");
        if (!ProcessTree.Exists(options.Pid)) throw new InvalidOperationException($"pid {options.Pid} does not exist (did the program exit?); nothing to carry across the update");
        _cmdline = ProcessTree.CommandLine(options.Pid);
        // A connection of this update's own: luod may have restarted since the last one.
        if (_luod is not null) await _luod.DisposeAsync().ConfigureAwait(false);
        _luod = await LiveUpdateClient.ConnectAsync(options.LuodSocket, cancellationToken).ConfigureAwait(false);
        _session = await CreateSessionAsync(_luod, cancellationToken).ConfigureAwait(false);
        layout.CleanImages();
        log.Step("prepare", stopwatch.Elapsed, $"update {notice.UpdateId}, session '{options.Name}' created, pid {options.Pid} ({string.Join(' ', _cmdline)})");
    }

    /// <summary>
    /// A new session NAME. One left open in this boot (an earlier lucriu's, whose update did not happen) holds a
    /// stale checkpoint of a program that still runs here: it is released. One from the previous boot is a
    /// checkpoint not restored yet: refused, since creating anew would lose it.
    /// </summary>
    private async Task<ManagedSession> CreateSessionAsync(LiveUpdateClient luod, CancellationToken cancellationToken)
    {
        try
        {
            return await luod.CreateManagedSessionAsync(options.Name, CheckpointManifest.SessionMetadata, cancellationToken).ConfigureAwait(false);
        }
        catch (LuodSessionExistsException)
        {
            try
            {
                await luod.ReleaseAsync(options.Name, cancellationToken).ConfigureAwait(false);
            }
            catch (LuodWrongStateException e)
            {
                throw new InvalidOperationException(
                    $"luod session '{options.Name}' holds a checkpoint from the previous boot that was not restored ({e.Message}); " +
                    $"run `lucriu restore --name {options.Name}` first (or release it with luoctl), then update again");
            }
            log.Note($"released session '{options.Name}' left open in this boot by an earlier lucriu (a stale checkpoint)");
            return await luod.CreateManagedSessionAsync(options.Name, CheckpointManifest.SessionMetadata, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task FreezeAsync(UpdateNotice notice, CancellationToken cancellationToken)
    {
        var session = _session ?? throw new InvalidOperationException("freeze without prepare: no session to preserve the checkpoint in");
        var dump = CriuInvocation.Dump(options.Pid, layout.ImagesInRoot, options.CriuArguments);
        PausedAt = DateTimeOffset.UtcNow;
        // Printed before criu starts: a supervisor following this output marks the program's pause here.
        log.Note($"dumping pid {options.Pid} (update {notice.UpdateId})");
        var stopwatch = Stopwatch.StartNew();
        // Not cancellable: criu is let finish (it resumes the program on failure; a success leaves it stopped for resume).
        await dump.RunAsync(options.CriuPath, layout).ConfigureAwait(false);
        var dumpTime = stopwatch.Elapsed;
        _stoppedTree = ProcessTree.Collect(options.Pid);

        var images = new DirectoryInfo(layout.ImagesOnHost).GetFileSystemInfos().OrderBy(f => f.Name, StringComparer.Ordinal).ToArray();
        if (images.FirstOrDefault(f => f is not FileInfo) is { } odd)
            throw new InvalidOperationException($"criu left '{odd.Name}' in {layout.ImagesOnHost}, which is not a regular file; lucriu preserves files only");
        if (images.Any(f => f.Name == CheckpointManifest.FileName))
            throw new InvalidOperationException($"criu wrote a file named {CheckpointManifest.FileName}, the name lucriu keeps its manifest under");
        long bytes = images.Sum(f => ((FileInfo)f).Length);
        log.Step("dump", dumpTime, $"{images.Length} images, {StepLog.Mib(bytes)}");
        if (images.Length > MaxImages)
            throw new InvalidOperationException(
                $"criu wrote {images.Length} image files; a luod managed session holds at most {MaxSessionFiles} files " +
                $"({MaxImages} images and lucriu's manifest), since Claim hands them all back in one message (SCM_MAX_FD). Nothing was preserved; the update is refused");

        stopwatch.Restart();
        var manifestImages = new List<ManifestImage>(images.Length);
        foreach (var image in images)
        {
            cancellationToken.ThrowIfCancellationRequested(); // luod moved on (another participant refused): resume follows
            long length = ((FileInfo)image).Length;
            using var memfd = await IntoMemFdAsync((FileInfo)image, cancellationToken).ConfigureAwait(false);
            await session.PreserveAsync(image.Name, memfd, cancellationToken).ConfigureAwait(false);
            manifestImages.Add(new ManifestImage(image.Name, length));
        }
        var copyTime = stopwatch.Elapsed;
        log.Step("copy-into-memfds", copyTime, $"{StepLog.Mib(bytes)}, {StepLog.Mib(_copiedBytes)} copied, {StepLog.Rate(bytes, copyTime)}");

        stopwatch.Restart();
        var manifest = new CheckpointManifest(CheckpointManifest.CurrentFormatVersion, options.Name, options.Pid, _cmdline, dump.CriuArguments,
            options.CriuRoot, PausedAt.Value, manifestImages, new ManifestTimings(dumpTime.TotalMilliseconds, copyTime.TotalMilliseconds, bytes));
        byte[] json = manifest.ToJson();
        using (var manifestFd = MemFd.Create(CheckpointManifest.FileName))
        {
            manifestFd.Write(json, 0);
            await session.PreserveAsync(CheckpointManifest.FileName, manifestFd, cancellationToken).ConfigureAwait(false);
        }
        log.Step("manifest", stopwatch.Elapsed, $"{json.Length} bytes, {manifestImages.Count + 1} files preserved in session '{options.Name}'");
    }

    private long _copiedBytes;
    private bool _adoptImages = true;

    /// <summary>
    /// The image as a preservable file: on tmpfs criu's own file is adopted (opened, unlinked: no
    /// copy, its pages are what the kernel keeps); elsewhere (a work directory on disk) it is copied
    /// into a new memfd and deleted, freeing the space before the next one is made.
    /// </summary>
    private async Task<MemFd> IntoMemFdAsync(FileInfo image, CancellationToken cancellationToken)
    {
        if (_adoptImages)
        {
            try
            {
                return MemFd.AdoptTmpfsFile(image.FullName);
            }
            catch (UnsupportedFileTypeException)
            {
                _adoptImages = false; // not tmpfs: copy this one and the rest (the file is untouched)
            }
        }
        var memfd = MemFd.Create(image.Name, allowSealing: true);
        try
        {
            _copiedBytes += await ImageCopy.FileToMemFdAsync(image.FullName, memfd, cancellationToken).ConfigureAwait(false);
            File.Delete(image.FullName);
            return memfd;
        }
        catch
        {
            memfd.Dispose();
            throw;
        }
    }

    public async Task ResumeAsync(UpdateNotice notice, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        string continued;
        if (_stoppedTree is { } tree)
        {
            int alive = tree.Count(ProcessSignals.Continue);
            continued = $"SIGCONT to {alive} of {tree.Count} process(es) of pid {options.Pid}";
        }
        else
        {
            continued = "no dump had succeeded, the program was not stopped";
        }
        string released = "no session";
        if (_session is not null && _luod is not null)
        {
            try
            {
                await _luod.ReleaseAsync(options.Name, CancellationToken.None).ConfigureAwait(false);
                released = $"session '{options.Name}' released";
            }
            catch (Exception error) when (error is LiveUpdateClientException or IOException)
            {
                released = $"session '{options.Name}' not released ({error.Message}); the next prepare replaces it";
            }
        }
        try { layout.DeleteImagesKeepingLog(CriuInvocation.DumpLog); }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException) { log.Note($"cannot clean {layout.ImagesOnHost}: {error.Message}"); }
        (_session, _stoppedTree) = (null, null);
        if (_luod is not null) await _luod.DisposeAsync().ConfigureAwait(false);
        _luod = null;
        log.Step("resume", stopwatch.Elapsed, $"update {notice.UpdateId} cancelled ({OneLine(notice.Reason)}); {continued}; {released}");
    }

    /// <summary>A reason on the step's one line (a criu failure's reason carries its log's last lines).</summary>
    private static string OneLine(string? text) => text is null ? "no reason given" : text.ReplaceLineEndings(" | ");
}
