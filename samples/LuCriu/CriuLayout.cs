// CriuLayout: where the images live, seen from both sides. criu (chrooted into --criu-root
// when given) is told paths inside its root; lucriu itself reads and writes the same files
// through the root's path on the host. Without a root both views are the same path.
namespace LuCriu;

internal sealed class CriuLayout
{
    public CriuLayout(string? criuRoot, string name, string? workDirectory)
    {
        CriuRoot = criuRoot is null ? null : Path.TrimEndingDirectorySeparator(criuRoot);
        WorkInRoot = workDirectory ?? $"/run/lucriu/{name}";
    }

    public string? CriuRoot { get; }

    /// <summary>The work directory as criu sees it.</summary>
    public string WorkInRoot { get; }

    /// <summary>The images directory as criu sees it (criu's -D; its -o log files land here too).</summary>
    public string ImagesInRoot => Path.Join(WorkInRoot, "images");

    public string WorkOnHost => OnHost(WorkInRoot);

    public string ImagesOnHost => OnHost(ImagesInRoot);

    /// <summary><paramref name="pathInRoot"/> as lucriu reaches it: under the root when criu runs chrooted.</summary>
    public string OnHost(string pathInRoot) => CriuRoot is null ? pathInRoot : CriuRoot + "/" + pathInRoot.TrimStart('/');

    /// <summary>Removes whatever a previous run left in the images directory and creates it empty.</summary>
    public void CleanImages()
    {
        if (Directory.Exists(ImagesOnHost)) Directory.Delete(ImagesOnHost, recursive: true);
        Directory.CreateDirectory(ImagesOnHost);
    }

    /// <summary>Deletes the images directory, first moving <paramref name="logName"/> (criu's log) up into the work directory.</summary>
    public void DeleteImagesKeepingLog(string logName)
    {
        if (!Directory.Exists(ImagesOnHost)) return;
        string log = Path.Join(ImagesOnHost, logName);
        if (File.Exists(log)) File.Move(log, Path.Join(WorkOnHost, logName), overwrite: true);
        Directory.Delete(ImagesOnHost, recursive: true);
    }
}
