// VarlinkServerOptions: how a Varlink server listens and what it tells its operator. The
// socket file is root-only (0600) by default: luod's clients are privileged, and the
// handlers see the caller's credentials to decide more finely.
namespace LiveUpdate.Varlink;

public sealed record VarlinkServerOptions
{
    public static VarlinkServerOptions Default { get; } = new();

    /// <summary>Limits applied to every accepted connection.</summary>
    public VarlinkConnectionOptions Connection { get; init; } = VarlinkConnectionOptions.Default;

    /// <summary>Permissions of the socket file created by <see cref="VarlinkServer.RunAsync(string, CancellationToken)"/> (default 0600).</summary>
    public UnixFileMode SocketFileMode { get; init; } = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Permissions of the socket's parent directory when it has to be created (default 0755).</summary>
    public UnixFileMode DirectoryMode { get; init; } =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    public int ListenBacklog { get; init; } = 64;

    /// <summary>
    /// Told about what the server handles on its own: connections closed for protocol errors,
    /// handlers that failed or did not reply, accept failures. Null to stay silent.
    /// </summary>
    public Action<string, Exception?>? Log { get; init; }
}
