// LuodUnavailableException: luod could not be reached at its socket, or closed the
// connection before answering (it stopped, or a cancelled call made the client drop it).
namespace LiveUpdate.Client.Errors;

public sealed class LuodUnavailableException(string socketPath, string message, Exception? innerException = null)
    : LiveUpdateClientException(message, innerException: innerException)
{
    public string SocketPath { get; } = socketPath;

    internal static LuodUnavailableException CannotConnect(string socketPath, Exception cause) =>
        new(socketPath,
            $"Cannot reach luod at {socketPath}: {cause.Message} Check that it is running (`systemctl status luod`), " +
            "that you may use its socket, or set LUOD_SOCKET to where it listens.", cause);

    internal static LuodUnavailableException Disconnected(string socketPath, Exception cause) =>
        new(socketPath,
            $"The connection to luod at {socketPath} ended: {cause.Message} If luod stopped, see `systemctl status luod`; " +
            "after a cancelled call, connect again with LiveUpdateClient.ConnectAsync.", cause);
}
