// LuodConnection: luoctl's link to luod — connects through the SDK (LiveUpdateClient) to its
// io.liveupdate socket (--socket, $LUOD_SOCKET, default /run/luod/io.liveupdate) and turns
// luod's errors and connection failures into one line on stderr with a distinct exit code
// (LuoctlExitCodes): 11 NO-GO (PreflightFailed), 13 update cancelled (UpdateCancelled),
// 3 luod refused otherwise (the error name and its parameters), 4 luod unreachable, 1 anything else.
using System.CommandLine;
using LiveUpdate.Client;
using LiveUpdate.Client.Errors;
using LiveUpdate.Kernel.Errors;

namespace LiveUpdate.Cli;

internal static class LuodConnection
{
    public static Option<string> SocketOption() => new("--socket")
    {
        Description = "luod's socket",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(LiveUpdateClient.SocketEnvironmentVariable) ?? LiveUpdateClient.DefaultSocketPath,
    };

    public static Task<int> RunAsync(string socket, Func<LiveUpdateClient, Task> action, CancellationToken cancellationToken) =>
        RunAsync(socket, async client =>
        {
            await action(client);
            return LuoctlExitCodes.Success;
        }, cancellationToken);

    /// <summary>Runs <paramref name="action"/> over a connection to luod; its result is the exit code unless luod's answer decides it.</summary>
    public static async Task<int> RunAsync(string socket, Func<LiveUpdateClient, Task<int>> action, CancellationToken cancellationToken)
    {
        LiveUpdateClient client;
        try
        {
            client = await LiveUpdateClient.ConnectAsync(socket, cancellationToken);
        }
        catch (LuodUnavailableException error)
        {
            Console.Error.WriteLine($"luoctl: cannot reach luod at {socket}: {error.InnerException?.Message ?? error.Message} Is luod running (systemctl status luod)?");
            return LuoctlExitCodes.LuodUnreachable;
        }
        await using (client)
        {
            try
            {
                return await action(client);
            }
            catch (LiveUpdateClientException error) when (error.ErrorName is not null)
            {
                string details = string.Join(", ", error.Parameters.Select(p => $"{p.Key}={p.Value?.ToJsonString()}"));
                Console.Error.WriteLine($"luoctl: {error.ErrorName}{(details.Length > 0 ? ": " + details : "")}");
                return error switch
                {
                    LuodPreflightFailedException => LuoctlExitCodes.NoGo,
                    LuodUpdateCancelledException => LuoctlExitCodes.UpdateCancelled,
                    _ => LuoctlExitCodes.LuodRefused,
                };
            }
            catch (LuodUnavailableException error)
            {
                Console.Error.WriteLine($"luoctl: {error.Message}");
                return LuoctlExitCodes.LuodUnreachable;
            }
            catch (Exception error) when (error is LiveUpdateException or LiveUpdateClientException or LocalFileException)
            {
                Console.Error.WriteLine($"luoctl: {error.Message}");
                return LuoctlExitCodes.Failed;
            }
        }
    }
}
