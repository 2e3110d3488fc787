// StagedKernelMark: a note luod leaves in its runtime directory (tmpfs: it lives exactly as
// long as this boot) while a kernel it staged for an update is loaded. A luod killed in the
// middle of an update leaves that kernel loaded, and a later plain `kexec -e` or
// `systemctl kexec` would boot it without any participant having prepared or frozen. The
// next luod of the same boot finds the note and unloads the kernel (kexec_file_load
// KEXEC_FILE_UNLOAD); after a kexec the note is gone with the old /run.
// Once the kernel is unloaded (a cancel, or by that next luod) the note stays, saying so: the
// update ended in this boot without a kexec. A participant still frozen for it (its luod died
// after freeze, before the reboot) learns that when it subscribes again, and resumes; nothing
// else tells it that the kexec will not come (docs/protocol.md §4.10).
using Microsoft.Extensions.Logging;

namespace LiveUpdate.Daemon;

public sealed class StagedKernelMark(string path)
{
    public string Path { get; } = path;

    /// <summary>Where the note lives: beside luod's custody record, in this boot's /run.</summary>
    public static string PathBeside(string custodyRecordPath) =>
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(custodyRecordPath) ?? "/run/luod", "staged-update");

    /// <summary>Written right after kexec_file_load succeeded for <paramref name="updateId"/>.</summary>
    public void Record(string updateId, string kernel)
    {
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            File.WriteAllText(Path, $"{updateId}\n{kernel}\n");
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException) { } // best effort: the update goes on
    }

    /// <summary>The staged kernel was unloaded: the update ended without a kexec (the note says so from now on).</summary>
    public void MarkUnloaded()
    {
        try { File.AppendAllText(Path, UnloadedLine + "\n"); }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException) { }
    }

    private const string UnloadedLine = "unloaded";

    /// <summary>
    /// At start: when an earlier luod of this boot staged a kernel for an update it never
    /// finished, unloads it and says so. Returns the update of this boot that ended without a
    /// kexec (interrupted now, or cancelled earlier) with why, or null (none, or the unload failed:
    /// then the kernel is still loaded and nobody may be told the update is over).
    /// </summary>
    public (string UpdateId, string Reason)? UnloadInterrupted(IKexecPerformer kexec, ILogger log)
    {
        string[] lines;
        try { lines = File.ReadAllLines(Path); }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException) { return null; }
        string updateId = lines.Length > 0 ? lines[0] : "?";
        string kernel = lines.Length > 1 ? lines[1] : "?";
        if (lines.Length > 2 && lines[2] == UnloadedLine)
            return (updateId, $"update {updateId} ended in this boot without a kexec: it was cancelled and its kernel unloaded");
        try
        {
            kexec.Unload();
            log.LogWarning("luod: update {UpdateId} was interrupted (an earlier luod of this boot stopped in the middle of it); unloaded the kernel it had staged ({Kernel}) so that no plain kexec boots it unprepared", updateId, kernel);
        }
        catch (Kernel.Errors.LiveUpdateException error)
        {
            log.LogError("luod: update {UpdateId} was interrupted and unloading the kernel it had staged ({Kernel}) failed: {Message}; unload it by hand (kexec -u)", updateId, kernel, error.Message);
            return null;
        }
        MarkUnloaded();
        return (updateId, $"update {updateId} ended in this boot without a kexec: the luod running it stopped before the reboot, and the next luod unloaded the kernel it had staged");
    }
}
