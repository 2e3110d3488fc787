// StagedKernelMark: a note luod leaves in its runtime directory (tmpfs: it lives exactly as
// long as this boot) while a kernel it staged for an update is loaded. A luod killed in the
// middle of an update leaves that kernel loaded, and a later plain `kexec -e` or
// `systemctl kexec` would boot it without any participant having prepared or frozen. The
// next luod of the same boot finds the note and unloads the kernel (kexec_file_load
// KEXEC_FILE_UNLOAD); after a kexec the note is gone with the old /run.
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

    /// <summary>The staged kernel was unloaded, or the update is past the point where it matters.</summary>
    public void Clear()
    {
        try { File.Delete(Path); }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>
    /// At start: when an earlier luod of this boot staged a kernel for an update it never
    /// finished, unloads it and says so. Returns the interrupted update's id, or null.
    /// </summary>
    public string? UnloadInterrupted(IKexecPerformer kexec, ILogger log)
    {
        string[] lines;
        try { lines = File.ReadAllLines(Path); }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException) { return null; }
        string updateId = lines.Length > 0 ? lines[0] : "?";
        string kernel = lines.Length > 1 ? lines[1] : "?";
        try
        {
            kexec.Unload();
            log.LogWarning("luod: update {UpdateId} was interrupted (an earlier luod of this boot stopped in the middle of it); unloaded the kernel it had staged ({Kernel}) so that no plain kexec boots it unprepared", updateId, kernel);
        }
        catch (Kernel.Errors.LiveUpdateException error)
        {
            log.LogError("luod: update {UpdateId} was interrupted and unloading the kernel it had staged ({Kernel}) failed: {Message}; unload it by hand (kexec -u)", updateId, kernel, error.Message);
        }
        Clear();
        return updateId;
    }
}
