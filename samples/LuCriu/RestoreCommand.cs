// RestoreCommand: `lucriu restore` after the kexec — claims session NAME, checks its manifest,
// copies every image back into the images directory, runs `criu restore`, tells luod the
// program is back (Resumed: the end of luod's measured blackout), finishes the session and
// deletes the images. A failure before the program runs keeps the session (claimed, not
// finished): nothing is lost, and the same command can be run again.
using System.Diagnostics;
using LiveUpdate.Client;
using LiveUpdate.Client.Errors;

namespace LuCriu;

internal static class RestoreCommand
{
    public const int Restored = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int CriuRestoreFailed = 3;
    public const int LuodFailed = 4;
    public const int CheckpointDamaged = 5;
    public const int RestoredButNotFinished = 6;

    public static async Task<int> RunAsync(LuCriuOptions options, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var log = new StepLog(output);
        var layout = new CriuLayout(options.CriuRoot, options.Name, options.WorkDirectory);
        string retry = $"the session '{options.Name}' is kept (claimed, not finished): fix the cause and run `lucriu restore --name {options.Name}` again " +
            "with the same options; luoctl sessions shows it";
        var stopwatch = Stopwatch.StartNew(); // the claim step counts connecting to luod too
        await using var luod = await ConnectAsync(options, error, cancellationToken).ConfigureAwait(false);
        if (luod is null) return LuodFailed;
        ClaimedManagedSession claimed;
        try
        {
            claimed = await luod.ClaimManagedAsync(options.Name, cancellationToken).ConfigureAwait(false);
        }
        catch (LiveUpdateClientException e)
        {
            error.WriteLine($"lucriu: cannot claim session '{options.Name}' from luod: {e.Message}");
            return LuodFailed;
        }
        log.Step("claim", stopwatch.Elapsed, $"session '{options.Name}', {claimed.Files.Count} files");

        CheckpointManifest manifest;
        using (claimed)
        {
            try
            {
                manifest = ReadManifest(claimed);
                // The previous boot's steps, as its lucriu timed them (its lines went out just before the kexec).
                log.Output.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"lucriu: previous boot: dump: {manifest.Timings.DumpMs:0.0} ms, {manifest.Images.Count} images, {StepLog.Mib(manifest.Timings.Bytes)}; copy-into-memfds: {manifest.Timings.CopyMs:0.0} ms"));
                Directory.CreateDirectory(layout.WorkOnHost);
                KeepCommand.WarnUnlessInMemory(layout.WorkOnHost, error);
                layout.CleanImages();
                stopwatch.Restart();
                long bytes = 0;
                foreach (var image in manifest.Images)
                {
                    var memfd = claimed.Files[image.Name];
                    bytes += await ImageCopy.MemFdToFileAsync(memfd, Path.Join(layout.ImagesOnHost, image.Name), cancellationToken).ConfigureAwait(false);
                }
                log.Step("copy-back", stopwatch.Elapsed, $"{manifest.Images.Count} images, {StepLog.Mib(bytes)}, {StepLog.Rate(bytes, stopwatch.Elapsed)}");
            }
            catch (CheckpointDamagedException e)
            {
                error.WriteLine($"lucriu: session '{options.Name}' is not a checkpoint lucriu can restore: {e.Message}; {retry}");
                return CheckpointDamaged;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or LiveUpdate.Kernel.Errors.LiveUpdateException)
            {
                error.WriteLine($"lucriu: cannot copy the images back into {layout.ImagesOnHost}: {e.Message}; {retry}");
                return Failed;
            }

            stopwatch.Restart();
            try
            {
                await CriuInvocation.Restore(layout.ImagesInRoot, options.CriuArguments).RunAsync(options.CriuPath, layout).ConfigureAwait(false);
            }
            catch (Exception e) when (e is CriuFailedException or System.ComponentModel.Win32Exception)
            {
                error.WriteLine($"lucriu: {e.Message}");
                error.WriteLine($"lucriu: {retry}; the images stay in {layout.ImagesOnHost} (criu restore -D {layout.ImagesInRoot} runs them by hand)");
                return CriuRestoreFailed;
            }
            bool running = ProcessTree.Exists(manifest.Pid);
            log.Step("restore", stopwatch.Elapsed, $"pid {manifest.Pid} {(running ? "running" : "not found in /proc (restored into another pid namespace?)")}, " +
                $"{string.Join(' ', manifest.Cmdline)}");

            if (!options.NoResumed)
            {
                stopwatch.Restart();
                try
                {
                    await luod.ResumedAsync(options.Name, cancellationToken).ConfigureAwait(false);
                    log.Step("resumed", stopwatch.Elapsed, $"told luod participant '{options.Name}' serves again (blackout ends)");
                }
                catch (LuodNoUpdateInProgressException)
                {
                    // Restored after a plain kexec, not an orchestrated update: there is no blackout to end.
                    log.Step("resumed", stopwatch.Elapsed, "no update in progress at luod (a plain kexec): nothing to report");
                }
                catch (LiveUpdateClientException e)
                {
                    error.WriteLine($"lucriu: warning: luod did not take Resumed for '{options.Name}': {e.Message}");
                }
            }

            stopwatch.Restart();
            try
            {
                await claimed.FinishAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (LiveUpdateClientException e)
            {
                error.WriteLine($"lucriu: pid {manifest.Pid} is restored, but luod could not finish session '{options.Name}': {e.Message}. " +
                    "Do not restore again (the program runs); finish the session with `luoctl finish`");
                return RestoredButNotFinished;
            }
            try { layout.DeleteImagesKeepingLog(CriuInvocation.RestoreLog); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { error.WriteLine($"lucriu: warning: cannot delete {layout.ImagesOnHost}: {e.Message}"); }
            log.Step("finish", stopwatch.Elapsed, $"session '{options.Name}' finished, images deleted");
        }
        log.Note($"restored pid {manifest.Pid}");
        return Restored;
    }

    private static async Task<LiveUpdateClient?> ConnectAsync(LuCriuOptions options, TextWriter error, CancellationToken cancellationToken)
    {
        try { return await LiveUpdateClient.ConnectAsync(options.LuodSocket, cancellationToken).ConfigureAwait(false); }
        catch (LiveUpdateClientException e)
        {
            error.WriteLine($"lucriu: cannot reach luod: {e.Message}");
            return null;
        }
    }

    /// <summary>The session's manifest, checked against the files the session really holds.</summary>
    private static CheckpointManifest ReadManifest(ClaimedManagedSession claimed)
    {
        if (!claimed.Files.ContainsKey(CheckpointManifest.FileName))
            throw new CheckpointDamagedException($"it has no {CheckpointManifest.FileName} (files: {string.Join(", ", claimed.Files.Keys)})");
        CheckpointManifest manifest;
        using (var json = claimed.Map(CheckpointManifest.FileName))
            manifest = CheckpointManifest.FromJson(json.Memory.Span);
        foreach (var image in manifest.Images)
        {
            if (!claimed.Files.TryGetValue(image.Name, out var memfd))
                throw new CheckpointDamagedException($"the manifest lists {image.Name}, which the session does not hold");
            if (memfd.Size != image.Length)
                throw new CheckpointDamagedException($"{image.Name} is {memfd.Size} bytes; {image.Length} were dumped");
        }
        if (claimed.Files.Count != manifest.Images.Count + 1)
            throw new CheckpointDamagedException($"the session holds {claimed.Files.Count} files; the manifest names {manifest.Images.Count} images and itself");
        return manifest;
    }
}
