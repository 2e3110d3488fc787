// RebootRequiredCommand: `luoctl reboot-required [--kernel K | --boot-dir /boot] [--sentinel PATH]
// [--clear] [--append A] [--initrd I] [--from IMAGE]` — keeps kured's reboot sentinel
// (/var/run/reboot-required) true to what a live update can do. The candidate is --kernel, or
// the newest /boot/vmlinuz-* in version order. The sentinel is written (atomically; content:
// the candidate's release and why) only when the candidate is newer than the running kernel
// AND its preflight check says GO — a NO-GO kernel must never make kured drain the node for an
// update luod would refuse — and removed in every other case, so after this command the
// sentinel exists exactly when `luoctl update` would go ahead. --clear removes it outright.
// Exit codes (LuoctlExitCodes): 0 decided (written, or removed because the running kernel is
// the newest), 11 NO-GO (removed), 12 no candidate or an unreadable image (removed),
// 1 the sentinel cannot be written or removed, or the running release cannot be read, 2 bad usage.
using System.CommandLine;
using System.Text;
using LiveUpdate.Kernel;
using LiveUpdate.Preflight;

namespace LiveUpdate.Cli;

internal static class RebootRequiredCommand
{
    /// <summary>kured's default --reboot-sentinel (Debian's update-notifier writes the same file).</summary>
    public const string DefaultSentinel = "/var/run/reboot-required";

    public const string DefaultBootDirectory = "/boot";

    private const string ImagePrefix = "vmlinuz-";

    public static Command Create()
    {
        var kernel = new Option<FileInfo?>("--kernel") { Description = "The candidate kernel image (default: the newest vmlinuz-* in --boot-dir)" };
        var bootDirectory = new Option<DirectoryInfo>("--boot-dir")
        {
            Description = "Where installed kernels are (vmlinuz-<release>), when --kernel is not given",
            DefaultValueFactory = _ => new DirectoryInfo(DefaultBootDirectory),
        };
        var sentinel = new Option<FileInfo>("--sentinel")
        {
            Description = "The reboot sentinel kured watches (its --reboot-sentinel)",
            DefaultValueFactory = _ => new FileInfo(DefaultSentinel),
        };
        var clear = new Option<bool>("--clear") { Description = "Remove the sentinel and do nothing else" };
        var initrd = new Option<string?>("--initrd") { Description = "The candidate's initrd (counted against KHO scratch)" };
        var append = new Option<string?>("--append") { Description = "The candidate's command line (default: this kernel's, as `luoctl update --reuse-cmdline`)" };
        var from = new Option<string?>("--from") { Description = "Compare against this kernel image instead of the running kernel (offline, as `luoctl check --from`)" };
        var handlers = new Option<string>("--handlers")
        {
            Description = "File handler kinds in use by sessions, comma-separated",
            DefaultValueFactory = _ => "memfd",
        };
        var command = new Command("reboot-required",
            "Write kured's reboot sentinel when a newer kernel is installed and its preflight check is GO; remove it otherwise.\n\n" +
            "Exit codes: 0 decided (written, or removed: the running kernel is the newest), 11 NO-GO (removed), " +
            "12 no candidate or an unreadable image (removed), 1 the sentinel or the running release cannot be read or written, 2 bad usage (docs/kured.md)")
        {
            kernel, bootDirectory, sentinel, clear, initrd, append, from, handlers,
        };
        command.SetAction(parse =>
        {
            string sentinelPath = parse.GetValue(sentinel)!.FullName;
            try
            {
                if (parse.GetValue(clear))
                {
                    Console.WriteLine(Remove(sentinelPath) ? $"removed {sentinelPath}" : $"no {sentinelPath} to remove");
                    return LuoctlExitCodes.Success;
                }
                return Decide(parse.GetValue(kernel)?.FullName, parse.GetValue(bootDirectory)!.FullName, sentinelPath, parse.GetValue(initrd),
                    parse.GetValue(append), parse.GetValue(from),
                    (parse.GetValue(handlers) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            }
            catch (LocalFileException error)
            {
                Console.Error.WriteLine($"luoctl: {error.Message}");
                return LuoctlExitCodes.Failed;
            }
        });
        return command;
    }

    private static int Decide(string? kernel, string bootDirectory, string sentinel, string? initrd, string? commandLine, string? from, string[] handlers)
    {
        string? candidate = kernel ?? NewestImage(bootDirectory);
        if (candidate is null)
            return NotRequired(sentinel, LuoctlExitCodes.UnreadableImage, $"no {ImagePrefix}* in {bootDirectory}: nothing to update to (give --kernel or --boot-dir)");

        string candidateRelease, runningRelease;
        try
        {
            candidateRelease = BzImage.Read(candidate).Release;
            runningRelease = from is null ? RunningRelease() : BzImage.Read(from).Release;
        }
        catch (KernelImageException error)
        {
            return NotRequired(sentinel, LuoctlExitCodes.UnreadableImage, $"cannot read the kernel image: {error.Message}");
        }
        string running = from is null ? $"the running kernel {runningRelease}" : $"{from} ({runningRelease})";
        if (!KernelReleaseOrder.IsNewer(candidateRelease, runningRelease))
            return NotRequired(sentinel, LuoctlExitCodes.Success, $"{running} is already the newest ({candidate} is {candidateRelease})");

        PreflightReport report;
        try
        {
            commandLine ??= KernelCommandLine.Current().ToString();
            report = PreflightCheck.Run(new PreflightRequest(candidate, initrd, commandLine, handlers, from));
        }
        catch (KernelImageException error)
        {
            return NotRequired(sentinel, LuoctlExitCodes.UnreadableImage, $"cannot read the kernel image: {error.Message}");
        }
        catch (IOException error)
        {
            throw new LocalFileException($"cannot read this kernel's command line ({KernelCommandLine.ProcPath}): {error.Message}. Give the candidate's with --append.");
        }
        if (report.Verdict == PreflightVerdict.NoGo)
        {
            var errors = report.Findings.Where(f => f.Severity == FindingSeverity.Error)
                .Select(f => $"  {f.Code}: {f.What} — {f.Why}{(f.Fix is null ? "" : $" — fix: {f.Fix}")}");
            return NotRequired(sentinel, LuoctlExitCodes.NoGo,
                $"{candidate} ({candidateRelease}) is newer than {running} but NO-GO, so kured must not reboot for it:\n{string.Join("\n", errors)}");
        }

        string verdict = PreflightReport.VerdictText(report.Verdict);
        string why = $"luoctl reboot-required: {candidate} ({candidateRelease}) is newer than {running} and its preflight check is {verdict}; " +
                     $"`luoctl update --kernel {candidate} --reuse-cmdline` applies it";
        WriteAtomically(sentinel, $"{candidateRelease}\n{why}\n");
        Console.WriteLine($"reboot required: wrote {sentinel}: {candidate} ({candidateRelease}) is newer than {running}, preflight {verdict}");
        foreach (var warning in report.Findings.Where(f => f.Severity == FindingSeverity.Warning))
            Console.WriteLine($"  warn {warning.Code}: {warning.What} — {warning.Why}");
        return LuoctlExitCodes.Success;
    }

    /// <summary>The sentinel must not stand: removes it, says why, returns <paramref name="exitCode"/>.</summary>
    private static int NotRequired(string sentinel, int exitCode, string why)
    {
        bool removed = Remove(sentinel);
        var output = exitCode == LuoctlExitCodes.Success ? Console.Out : Console.Error;
        output.WriteLine($"{(exitCode == LuoctlExitCodes.Success ? "no reboot required" : "luoctl: no reboot for kured")}: {why}; " +
                         (removed ? $"removed {sentinel}" : $"{sentinel} not written"));
        return exitCode;
    }

    /// <summary>The newest vmlinuz-&lt;release&gt; in <paramref name="directory"/> by release order, or null.</summary>
    private static string? NewestImage(string directory)
    {
        if (!Directory.Exists(directory)) return null;
        return Directory.EnumerateFiles(directory, ImagePrefix + "*")
            .Select(path => (Path: path, Release: Path.GetFileName(path)[ImagePrefix.Length..]))
            .Where(image => image.Release.Length > 0)
            .OrderBy(image => image.Release, KernelReleaseOrder.Instance)
            .Select(image => image.Path)
            .LastOrDefault();
    }

    private static string RunningRelease()
    {
        string path = new RunningSystemPaths().OsRelease;
        try { return File.ReadAllText(path).Trim(); }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new LocalFileException($"cannot read the running kernel's release from {path}: {error.Message}. Is /proc mounted?");
        }
    }

    /// <summary>Writes a temporary file beside <paramref name="path"/>, flushes it to disk and renames it over: kured sees the old file or the whole new one.</summary>
    private static void WriteAtomically(string path, string content)
    {
        string directory = Path.GetDirectoryName(path)!;
        string temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(Encoding.UTF8.GetBytes(content));
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temporary); } catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException) { }
            throw new LocalFileException($"cannot write the reboot sentinel {path}: {error.Message}. Does {directory} exist, and may luoctl write there (root)?");
        }
    }

    /// <summary>Removes the sentinel; true when there was one.</summary>
    private static bool Remove(string path)
    {
        try
        {
            if (!File.Exists(path)) return false;
            File.Delete(path);
            return true;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new LocalFileException($"cannot remove the reboot sentinel {path}: {error.Message}. May luoctl write to {Path.GetDirectoryName(path)} (root)?");
        }
    }
}
