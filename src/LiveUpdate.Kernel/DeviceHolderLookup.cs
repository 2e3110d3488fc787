// DeviceHolderLookup: finds which process holds a device open by scanning /proc/<pid>/fd,
// so "device busy" can name the culprit instead of leaving the operator to guess.
namespace LiveUpdate.Kernel;

public static class DeviceHolderLookup
{
    public readonly record struct Holder(int Pid, string Name);

    public static Holder? Find(string devicePath, string procRoot = "/proc")
    {
        IEnumerable<string> processes;
        try { processes = Directory.EnumerateDirectories(procRoot); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }

        foreach (string processDir in processes)
        {
            if (!int.TryParse(Path.GetFileName(processDir), out int pid))
                continue;
            try
            {
                foreach (string fdLink in Directory.EnumerateFileSystemEntries(Path.Combine(processDir, "fd")))
                {
                    if (new FileInfo(fdLink).LinkTarget == devicePath)
                        return new Holder(pid, ReadName(processDir));
                }
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return null;
    }

    private static string ReadName(string processDir)
    {
        try { return File.ReadAllText(Path.Combine(processDir, "comm")).Trim(); }
        catch (IOException) { return "?"; }
        catch (UnauthorizedAccessException) { return "?"; }
    }
}
