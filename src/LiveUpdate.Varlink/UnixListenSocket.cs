// UnixListenSocket: binds a listening Unix stream socket at a filesystem path the way a
// daemon should — parent directory created, a stale socket file from a previous run
// removed (but only if nothing answers on it, and only if it is a socket), the file's mode
// set before listen() so no client ever connects under the wrong permissions.
using System.Net.Sockets;
using LiveUpdate.Kernel;

namespace LiveUpdate.Varlink;

internal static class UnixListenSocket
{
    public static Socket Bind(string socketPath, VarlinkServerOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("Varlink with file-descriptor passing runs on Linux only.");
        string path = Path.GetFullPath(socketPath);
        string? directory = Path.GetDirectoryName(path);
        if (directory is not null && !Directory.Exists(directory))
        {
            try
            {
                Directory.CreateDirectory(directory, options.DirectoryMode);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new VarlinkListenException(path, $"Cannot create the directory {directory} for the Varlink socket: {e.Message}. Create it, or run as a user allowed to.", e);
            }
        }
        RemoveStaleSocket(path);

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            File.SetUnixFileMode(path, options.SocketFileMode);
            listener.Listen(options.ListenBacklog);
            return listener;
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new VarlinkListenException(path, e.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => $"{path} was created by someone else while this server was starting; another instance is running? Stop it, or choose another path.",
                SocketError.AccessDenied => $"Permission denied binding {path}: the directory does not let this user create files. Run as root, or choose another path.",
                _ => $"Cannot listen on {path}: {e.Message}.",
            }, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            listener.Dispose();
            throw new VarlinkListenException(path, $"Cannot listen on {path}: {e.Message}.", e);
        }
    }

    /// <summary>Removes the socket file if it is still ours (a socket); used at shutdown.</summary>
    public static void Remove(string socketPath)
    {
        try
        {
            if (FileDescriptorInspector.DescribePath(socketPath) == FileDescriptorKind.Socket)
                File.Delete(socketPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Kernel.Errors.LiveUpdateException) { }
    }

    private static void RemoveStaleSocket(string path)
    {
        var kind = FileDescriptorInspector.DescribePath(path);
        if (kind is null)
            return;
        if (kind != FileDescriptorKind.Socket)
            throw new VarlinkListenException(path,
                $"{path} exists and is not a socket ({kind}); refusing to replace it. Remove it, or choose another socket path.", null);

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            throw AlreadyServed(path);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress or SocketError.TryAgain)
        {
            throw AlreadyServed(path); // listening, with a full backlog
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused)
        {
            File.Delete(path); // nobody listens: left over from a previous run
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressNotAvailable)
        {
            // vanished meanwhile
        }
    }

    private static VarlinkListenException AlreadyServed(string path) =>
        new(path, $"Another server is already listening on {path}. Stop it first (only one luod may run), or choose another socket path.", null);
}
