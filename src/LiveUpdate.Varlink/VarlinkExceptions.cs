// VarlinkExceptions: the typed failures of the Varlink transport — a peer breaking the
// protocol, a message over the size limit, a message with more descriptors than one sendmsg
// carries, a connection that ended, a socket that could
// not be reached or bound. Each message says what happened and what to do about it.
// (Error *replies* from a service are VarlinkErrorException, in its own file.)
namespace LiveUpdate.Varlink;

/// <summary>Base of every Varlink failure.</summary>
public class VarlinkException : Exception
{
    public VarlinkException(string message) : base(message) { }

    public VarlinkException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>The peer sent something that is not valid Varlink. The connection has been closed.</summary>
public class VarlinkProtocolException : VarlinkException
{
    public VarlinkProtocolException(string message) : base(message) { }

    public VarlinkProtocolException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>A message is larger than <see cref="VarlinkConnectionOptions.MaxMessageSize"/>. A received one closes the connection; a message to send is refused before anything is written.</summary>
public sealed class VarlinkMessageTooLargeException(string message, int limit) : VarlinkProtocolException(message)
{
    public int Limit { get; } = limit;
}

/// <summary>
/// A message to send carries more file descriptors than the kernel passes in one sendmsg
/// (<see cref="Limit"/>, SCM_MAX_FD = 253; more is EINVAL). Refused before anything is written:
/// the connection stays open and usable, and the descriptors stay the caller's.
/// </summary>
public sealed class VarlinkTooManyFileDescriptorsException(int count, int limit)
    : VarlinkException($"{count} file descriptors cannot go in one Varlink message: the kernel passes at most {limit} (SCM_MAX_FD) in one sendmsg. Nothing was sent and the connection is still usable; spread the descriptors over several messages.")
{
    /// <summary>How many descriptors the message would have carried.</summary>
    public int Count { get; } = count;

    /// <summary>The most one message carries (SCM_MAX_FD).</summary>
    public int Limit { get; } = limit;

    /// <summary>Throws when <paramref name="fileDescriptors"/> do not fit one message.</summary>
    internal static void ThrowIfTooMany(IReadOnlyList<System.Runtime.InteropServices.SafeHandle>? fileDescriptors)
    {
        int count = fileDescriptors?.Count ?? 0;
        if (count > Kernel.UnixSocketMessaging.MaxFileDescriptorsPerMessage)
            throw new VarlinkTooManyFileDescriptorsException(count, Kernel.UnixSocketMessaging.MaxFileDescriptorsPerMessage);
    }
}

/// <summary>The connection ended: the peer closed it, or it was closed locally while an operation was under way.</summary>
public sealed class VarlinkDisconnectedException : VarlinkException
{
    public VarlinkDisconnectedException(string message) : base(message) { }

    public VarlinkDisconnectedException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>No connection could be made to a Varlink socket.</summary>
public sealed class VarlinkConnectException(string socketPath, string message, Exception? innerException)
    : VarlinkException(message, innerException)
{
    public string SocketPath { get; } = socketPath;
}

/// <summary>A Varlink server could not listen on its socket path.</summary>
public sealed class VarlinkListenException(string socketPath, string message, Exception? innerException)
    : VarlinkException(message, innerException)
{
    public string SocketPath { get; } = socketPath;
}
