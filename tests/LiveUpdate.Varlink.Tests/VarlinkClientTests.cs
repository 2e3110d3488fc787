// VarlinkClientTests: the client's side of the contract — connection failures that say
// what to do, and cancellation that never lets a late reply be taken for the next call's.
using System.Text.Json.Nodes;

namespace LiveUpdate.Varlink.Tests;

public sealed class VarlinkClientTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Connecting_to_a_missing_socket_says_so()
    {
        string path = Path.Combine(Path.GetTempPath(), $"lu-vl-missing-{Guid.NewGuid():N}.sock");
        var failure = await Assert.ThrowsAsync<VarlinkConnectException>(() => VarlinkClient.ConnectAsync(path));
        Assert.Equal(path, failure.SocketPath);
        Assert.Contains("does not exist", failure.Message);
    }

    [Fact]
    public async Task Cancelling_a_call_that_waits_for_its_reply_closes_the_connection()
    {
        await using var service = TestService.Start();
        await using var client = await service.ConnectAsync();
        using var cancellation = new CancellationTokenSource();
        var call = client.CallAsync("io.liveupdate.Test.Block", cancellationToken: cancellation.Token);
        await service.BlockEntered.Task.WaitAsync(Timeout);
        cancellation.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(Timeout));
        Assert.True(client.Connection.IsClosed);
        await Assert.ThrowsAsync<VarlinkDisconnectedException>(() => client.CallAsync("io.liveupdate.Test.Echo", new JsonObject { ["text"] = "x" }));
    }

    [Fact]
    public async Task Abandoning_a_stream_early_closes_the_connection()
    {
        await using var service = TestService.Start();
        await using var client = await service.ConnectAsync();
        await foreach (var reply in client.CallMoreAsync("io.liveupdate.Test.Count", new JsonObject { ["n"] = 5 }))
        {
            reply.Dispose();
            break;
        }
        Assert.True(client.Connection.IsClosed);
    }

    [Fact]
    public async Task An_error_ends_a_stream_without_closing_the_connection()
    {
        await using var service = TestService.Start();
        await using var client = await service.ConnectAsync();
        var failure = await Assert.ThrowsAsync<VarlinkErrorException>(async () =>
        {
            await foreach (var reply in client.CallMoreAsync("io.liveupdate.Test.Count"))
                reply.Dispose();
        });
        Assert.Equal(VarlinkServiceErrors.InvalidParameter, failure.ErrorName);
        Assert.False(client.Connection.IsClosed);
        using var after = await client.CallAsync("io.liveupdate.Test.Echo", new JsonObject { ["text"] = "ok" }).WaitAsync(Timeout);
        Assert.Equal("ok", (string?)after.Parameters["text"]);
    }

    [Fact]
    public async Task A_closed_service_is_a_disconnect_not_a_hang()
    {
        var service = TestService.Start();
        await using var client = await service.ConnectAsync();
        await service.DisposeAsync();
        await Assert.ThrowsAsync<VarlinkDisconnectedException>(() =>
            client.CallAsync("io.liveupdate.Test.Echo", new JsonObject { ["text"] = "anyone?" }).WaitAsync(Timeout));
    }
}
