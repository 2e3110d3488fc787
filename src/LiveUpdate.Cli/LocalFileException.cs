// LocalFileException: a file named on luoctl's command line (preserve --file, retrieve --output)
// cannot be used. Raised before luod is asked for anything, so a typo never creates a session
// or claims one; the message names the file, what is wrong and the fix.
namespace LiveUpdate.Cli;

internal sealed class LocalFileException(string message) : Exception(message)
{
    /// <summary>Opens <paramref name="path"/> to read it whole, or says why it cannot be.</summary>
    public static FileStream OpenToRead(FileInfo path, string option)
    {
        if (Directory.Exists(path.FullName))
            throw new LocalFileException($"{option} {path.FullName} is a directory; give a regular file (preserve one file per --name).");
        try
        {
            return new FileStream(path.FullName, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1);
        }
        catch (Exception error) when (error is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new LocalFileException($"{option} {path.FullName} does not exist (it, or a directory above it, is missing).");
        }
        catch (UnauthorizedAccessException)
        {
            throw new LocalFileException($"{option} {path.FullName} cannot be read (permission denied); run luoctl as a user who can read it.");
        }
        catch (IOException error)
        {
            throw new LocalFileException($"{option} {path.FullName} cannot be read: {error.Message}");
        }
    }

    /// <summary>Says why <paramref name="path"/> could not be created, without creating it.</summary>
    public static void CheckWritable(FileInfo path, string option)
    {
        if (Directory.Exists(path.FullName))
            throw new LocalFileException($"{option} {path.FullName} is a directory; give the path of the file to write.");
        if (path.DirectoryName is { } directory && !Directory.Exists(directory))
            throw new LocalFileException($"{option} {path.FullName}: the directory {directory} does not exist; create it first.");
    }

    /// <summary>Creates <paramref name="path"/> to write into, or says why it cannot be.</summary>
    public static FileStream CreateToWrite(FileInfo path, string option)
    {
        if (Directory.Exists(path.FullName))
            throw new LocalFileException($"{option} {path.FullName} is a directory; give the path of the file to write.");
        try
        {
            return new FileStream(path.FullName, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1, useAsync: true);
        }
        catch (DirectoryNotFoundException)
        {
            throw new LocalFileException($"{option} {path.FullName}: the directory {path.DirectoryName} does not exist; create it first.");
        }
        catch (UnauthorizedAccessException)
        {
            throw new LocalFileException($"{option} {path.FullName} cannot be written (permission denied).");
        }
        catch (IOException error)
        {
            throw new LocalFileException($"{option} {path.FullName} cannot be written: {error.Message}");
        }
    }
}
