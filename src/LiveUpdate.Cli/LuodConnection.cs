// LuodConnection: luoctl's link to luod — connects to its io.liveupdate socket (--socket,
// $LUOD_SOCKET, default /run/luod/io.liveupdate) and turns luod's errors and connection
// failures into one line on stderr with a distinct exit code.
using System.CommandLine;
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Varlink;

namespace LiveUpdate.Cli;

internal static class LuodConnection
{
    public const int LuodErrorExitCode = 3;
    public const int UnreachableExitCode = 4;
    public const string DefaultSocket = "/run/luod/io.liveupdate";

    public static Option<string> SocketOption() => new("--socket")
    {
        Description = "luod's socket",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LUOD_SOCKET") ?? DefaultSocket,
    };

    public static async Task<int> RunAsync(string socket, Func<VarlinkClient, Task> action, CancellationToken cancellationToken)
    {
        VarlinkClient client;
        try
        {
            client = await VarlinkClient.ConnectAsync(socket, cancellationToken: cancellationToken);
        }
        catch (VarlinkException error)
        {
            Console.Error.WriteLine($"luoctl: cannot reach luod at {socket}: {error.Message} Is luod running (systemctl status luod)?");
            return UnreachableExitCode;
        }
        await using (client)
        {
            try
            {
                await action(client);
                return 0;
            }
            catch (VarlinkErrorException error)
            {
                string details = string.Join(", ", error.Parameters.Select(p => $"{p.Key}={p.Value?.ToJsonString()}"));
                Console.Error.WriteLine($"luoctl: {error.ErrorName}{(details.Length > 0 ? ": " + details : "")}");
                return LuodErrorExitCode;
            }
            catch (LiveUpdateException error)
            {
                Console.Error.WriteLine($"luoctl: {error.Message}");
                return 1;
            }
        }
    }
}
