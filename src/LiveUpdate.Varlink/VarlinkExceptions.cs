// VarlinkExceptions: the typed failures of the Varlink transport — a peer breaking the
// protocol, a message over the size limit, a connection that ended, a socket that could
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
