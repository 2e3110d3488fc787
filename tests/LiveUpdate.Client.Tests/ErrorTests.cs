// ErrorTests: every io.liveupdate error luod can answer becomes its typed exception with its
// parameters (through a canned server speaking the real interface text, errors built by
// luod's own LuodErrors); the real luod's errors arrive typed too; an unreachable socket is
// LuodUnavailableException naming the socket; cancellation is honoured.
using System.Text.Json.Nodes;
using LiveUpdate.Client.Errors;
using LiveUpdate.Daemon;
using LiveUpdate.Kernel;
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Varlink;

namespace LiveUpdate.Client.Tests;

public sealed class ErrorTests
{
    private static readonly TimeSpan Timeout = InProcessLuod.Timeout;

    private static async Task<T> CannedErrorAsync<T>(VarlinkErrorException error) where T : LiveUpdateClientException
    {
        await using var luod = new CannedLuod { Error = error };
        await using var client = await LiveUpdateClient.ConnectAsync(luod.SocketPath).WaitAsync(Timeout);
        var thrown = await Assert.ThrowsAsync<T>(() => client.GetStatusAsync().WaitAsync(Timeout));
        Assert.Equal(error.ErrorName, thrown.ErrorName);
        Assert.Equal(error.Parameters.ToJsonString(), thrown.Parameters.ToJsonString());
        Assert.Equal("io.liveupdate.GetStatus", thrown.Method);
        return thrown;
    }

    [Fact]
    public async Task SessionNotFound() =>
        Assert.Equal("db", (await CannedErrorAsync<LuodSessionNotFoundException>(LuodErrors.SessionNotFound("db"))).Session);

    [Fact]
    public async Task SessionExists() =>
        Assert.Equal("db", (await CannedErrorAsync<LuodSessionExistsException>(LuodErrors.SessionExists("db"))).Session);

    [Fact]
    public async Task InvalidName()
    {
        var e = await CannedErrorAsync<LuodInvalidNameException>(LuodErrors.InvalidName("a/b", "contains '/'"));
        Assert.Equal("a/b", e.InvalidName);
        Assert.Equal("contains '/'", e.Reason);
    }

    [Fact]
    public async Task PermissionDenied() =>
        Assert.Equal("uid 7 not allowed", (await CannedErrorAsync<LuodPermissionDeniedException>(LuodErrors.PermissionDenied("uid 7 not allowed"))).Reason);

    [Fact]
    public async Task QuotaExceeded()
    {
        var e = await CannedErrorAsync<LuodQuotaExceededException>(LuodErrors.QuotaExceeded(1L << 30, 3L << 30));
        Assert.Equal(1L << 30, e.LimitBytes);
        Assert.Equal(3L << 30, e.RequestedBytes);
        Assert.Contains("limit", e.Message);
    }

    [Fact]
    public async Task UnsupportedFile() =>
        Assert.Equal("a pipe", (await CannedErrorAsync<LuodUnsupportedFileException>(LuodErrors.UnsupportedFile("a pipe"))).Reason);

    [Fact]
    public async Task WrongState()
    {
        var e = await CannedErrorAsync<LuodWrongStateException>(LuodErrors.WrongState("db", "open", "restored"));
        Assert.Equal(("db", "open", "restored"), (e.Session, e.State, e.Expected));
    }

    [Fact]
    public async Task CustodyLost()
    {
        var e = await CannedErrorAsync<LuodCustodyLostException>(LuodErrors.CustodyLost("db", "catalog corrupt"));
        Assert.Equal(("db", "catalog corrupt"), (e.Session, e.Reason));
    }

    [Fact]
    public async Task MetadataTooLarge()
    {
        var e = await CannedErrorAsync<LuodMetadataTooLargeException>(LuodErrors.MetadataTooLarge(70_000, 65_536));
        Assert.Equal((70_000L, 65_536L), (e.Bytes, e.LimitBytes));
    }

    [Fact]
    public async Task KernelError()
    {
        var e = await CannedErrorAsync<LuodKernelErrorException>(LuodErrors.Kernel(new DuplicateTokenException(17, "token 3 is taken")));
        Assert.Equal(17, e.Errno);
        Assert.Equal(nameof(KernelOperation.PreserveFd), e.Operation);
        Assert.Contains("token 3 is taken", e.KernelMessage);
    }

    [Fact]
    public async Task Other_errors_stay_the_base_type_with_their_name()
    {
        var e = await CannedErrorAsync<LiveUpdateClientException>(VarlinkErrorException.InvalidParameter("mode"));
        Assert.Equal(typeof(LiveUpdateClientException), e.GetType());
        Assert.Equal("mode", (string?)e.Parameters["parameter"]);
    }

    [Fact]
    public void Every_error_the_interface_declares_has_a_typed_exception()
    {
        var declared = LiveUpdateInterface.Description.Split('\n')
            .Where(line => line.StartsWith("error ", StringComparison.Ordinal))
            .Select(line => "io.liveupdate." + line.Split(' ', '(')[1].Trim());
        foreach (string name in declared)
        {
            var typed = LiveUpdateClientException.FromReply(new VarlinkErrorException(name, []));
            Assert.NotEqual(typeof(LiveUpdateClientException), typed.GetType());
            Assert.Equal(name, typed.ErrorName);
        }
    }

    [Fact]
    public async Task Real_luod_errors_arrive_typed()
    {
        using var bed = new LuodTestbed();
        await using var luod = InProcessLuod.Start(bed);
        await using var client = await luod.ConnectAsync();
        var session = await client.CreateManagedSessionAsync("db").WaitAsync(Timeout);

        var exists = await Assert.ThrowsAsync<LuodSessionExistsException>(() => client.CreateManagedSessionAsync("db").WaitAsync(Timeout));
        Assert.Equal("db", exists.Session);
        var notFound = await Assert.ThrowsAsync<LuodSessionNotFoundException>(() => client.FinishAsync("nope").WaitAsync(Timeout));
        Assert.Equal("nope", notFound.Session);
        await Assert.ThrowsAsync<LuodInvalidNameException>(() => client.CreateManagedSessionAsync(new string('x', 300)).WaitAsync(Timeout));
        await Assert.ThrowsAsync<LuodMetadataTooLargeException>(() => client.SetMetadataAsync("db", new byte[100_000]).WaitAsync(Timeout));
        await Assert.ThrowsAsync<LuodWrongStateException>(() => client.ClaimAsync("db").WaitAsync(Timeout));

        var (read, write) = NativeFile.Pipe();
        using (read) using (write)
        {
            await Assert.ThrowsAsync<LuodUnsupportedFileException>(() => PreservePipeAsync(client, read));
        }
        Assert.NotNull(session);
    }

    private static Task PreservePipeAsync(LiveUpdateClient client, System.Runtime.InteropServices.SafeHandle pipe) =>
        client.PreserveAsync("db", "pipe", pipe, CancellationToken.None).WaitAsync(Timeout);

    [Fact]
    public async Task Unreachable_socket_is_LuodUnavailable_naming_it()
    {
        string socket = Path.Combine(Path.GetTempPath(), $"no-luod-{Guid.NewGuid():N}.sock");
        var e = await Assert.ThrowsAsync<LuodUnavailableException>(() => LiveUpdateClient.ConnectAsync(socket).WaitAsync(Timeout));
        Assert.Equal(socket, e.SocketPath);
        Assert.Contains(socket, e.Message);
        Assert.Contains("systemctl status luod", e.Message);
        Assert.Null(e.ErrorName);
    }

    [Fact]
    public async Task Socket_path_comes_from_LUOD_SOCKET_when_not_given()
    {
        string socket = Path.Combine(Path.GetTempPath(), $"env-luod-{Guid.NewGuid():N}.sock");
        string? previous = Environment.GetEnvironmentVariable(LiveUpdateClient.SocketEnvironmentVariable);
        Environment.SetEnvironmentVariable(LiveUpdateClient.SocketEnvironmentVariable, socket);
        try
        {
            var e = await Assert.ThrowsAsync<LuodUnavailableException>(() => LiveUpdateClient.ConnectAsync().WaitAsync(Timeout));
            Assert.Equal(socket, e.SocketPath);
        }
        finally
        {
            Environment.SetEnvironmentVariable(LiveUpdateClient.SocketEnvironmentVariable, previous);
        }
    }

    [Fact]
    public async Task Cancelling_a_waiting_call_throws_and_later_calls_say_luod_is_unavailable()
    {
        await using var luod = new CannedLuod();
        await using var client = await LiveUpdateClient.ConnectAsync(luod.SocketPath).WaitAsync(Timeout);
        using var cancel = new CancellationTokenSource();
        var listing = client.ListSessionsAsync(cancellationToken: cancel.Token);
        await luod.HangStarted.Task.WaitAsync(Timeout);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => listing.WaitAsync(Timeout));
        var after = await Assert.ThrowsAsync<LuodUnavailableException>(() => client.GetStatusAsync().WaitAsync(Timeout));
        Assert.Equal(luod.SocketPath, after.SocketPath);
    }

    [Fact]
    public async Task A_cancelled_token_stops_connect_and_calls()
    {
        using var bed = new LuodTestbed();
        await using var luod = InProcessLuod.Start(bed);
        await using var client = await luod.ConnectAsync();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.CreateManagedSessionAsync("db", cancellationToken: cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => LiveUpdateClient.ConnectAsync(luod.SocketPath, cancelled.Token));
    }
}
