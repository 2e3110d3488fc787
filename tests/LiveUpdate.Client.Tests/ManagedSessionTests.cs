// ManagedSessionTests: the client against the real luod service in-process (fake device) —
// create a managed session, preserve memfds and PreservedMemory (the bytes really reach
// luod's device), list, kexec, claim the files back by name, map them, finish.
using System.Security.Cryptography;
using LiveUpdate.Client.Errors;

namespace LiveUpdate.Client.Tests;

public sealed class ManagedSessionTests
{
    private static readonly TimeSpan Timeout = InProcessLuod.Timeout;

    [Fact]
    public async Task Preserved_memfd_reaches_luod_with_its_bytes_and_comes_back_after_kexec()
    {
        using var bed = new LuodTestbed();
        byte[] heap = RandomNumberGenerator.GetBytes(300_000);
        byte[] metadata = [1, 2, 3, 250];
        await using var luod = InProcessLuod.Start(bed);
        await using (var client = await luod.ConnectAsync())
        {
            var session = await client.CreateManagedSessionAsync("db", metadata).WaitAsync(Timeout);
            Assert.Equal("db", session.Name);
            Assert.Equal(SessionMode.Managed, session.Info.Mode);
            Assert.Equal(SessionState.Open, session.Info.State);
            Assert.Equal(metadata, session.Info.Metadata);

            PreservedFileInfo heapFile;
            using (var memfd = LuodTestbed.MemFdWith(heap))
                heapFile = await session.PreserveAsync("heap", memfd).WaitAsync(Timeout);
            Assert.Equal(new PreservedFileInfo("heap", heapFile.Token, heap.Length), heapFile);

            using (var memory = PreservedMemory.Create("index", 4096))
            {
                "index-v1"u8.CopyTo(memory.Memory.Span);
                memory.Memory.Span[4095] = 0x7f;
                var indexFile = await session.PreserveAsync("index", memory).WaitAsync(Timeout);
                Assert.Equal(4096, indexFile.Bytes);
                Assert.NotEqual(heapFile.Token, indexFile.Token);
            }

            // The fds really arrived: luod's (fake) kernel session holds both files, with these bytes.
            var info = Assert.Single(await client.ListSessionsAsync().WaitAsync(Timeout));
            Assert.Equal(info.Files.Select(f => f.Token).Order(), bed.Backend.OutgoingTokens(info.KernelName));
            Assert.Equal(2, info.Files.Count);
            bed.Backend.SimulateKexec();
            using (var held = bed.Backend.PeekIncoming(info.KernelName, heapFile.Token))
                Assert.Equal(heap, LuodTestbed.Contents(held));
        }
    }

    [Fact]
    public async Task Claimed_managed_session_gives_files_by_name()
    {
        using var bed = new LuodTestbed();
        byte[] heap = RandomNumberGenerator.GetBytes(200_000);
        var before = InProcessLuod.Start(bed);
        await using (var client = await before.ConnectAsync())
        {
            var session = await client.CreateManagedSessionAsync("db").WaitAsync(Timeout);
            using (var memfd = LuodTestbed.MemFdWith(heap))
                await session.PreserveAsync("heap", memfd).WaitAsync(Timeout);
            using var memory = PreservedMemory.Create("index", 10);
            "0123456789"u8.CopyTo(memory.Memory.Span);
            await session.PreserveAsync("index", memory).WaitAsync(Timeout);
            await client.SetMetadataAsync("db", "v2"u8.ToArray()).WaitAsync(Timeout);

            var listed = Assert.Single(await client.ListSessionsAsync().WaitAsync(Timeout));
            Assert.Equal("db", listed.Name);
            Assert.Equal(CurrentUid(), listed.Owner);
            Assert.Equal(SessionMode.Managed, listed.Mode);
            Assert.Equal(SessionState.Open, listed.State);
            Assert.Equal(["heap", "index"], listed.Files.Select(f => f.Name));
            Assert.Equal(heap.Length + 10, listed.PreservedBytes);
            Assert.Equal("v2"u8.ToArray(), listed.Metadata);
            Assert.InRange(listed.CreatedUtc, DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(1));
        }

        await using var after = await before.KexecAsync();
        await using (var client = await after.ConnectAsync())
        {
            var status = await client.GetStatusAsync().WaitAsync(Timeout);
            Assert.True(status.BootedByHandover);
            Assert.False(status.CustodyLost);
            Assert.Equal(1, status.Sessions);
            Assert.Equal(SessionState.Restored, Assert.Single(await client.ListSessionsAsync().WaitAsync(Timeout)).State);

            using (var claimed = await client.ClaimManagedAsync("db").WaitAsync(Timeout))
            {
                Assert.Equal(SessionState.Claimed, claimed.Info.State);
                Assert.Equal(["heap", "index"], claimed.Files.Keys.Order());
                Assert.Equal(heap, LuodTestbed.Contents(claimed.Files["heap"]));
                using (var index = claimed.Map("index", writable: false))
                {
                    Assert.Equal(10, index.Length);
                    Assert.Equal("0123456789"u8.ToArray(), index.Memory.ToArray());
                }
                Assert.Throws<KeyNotFoundException>(() => claimed.Map("missing"));
                await claimed.FinishAsync().WaitAsync(Timeout);
            }

            Assert.Empty(await client.ListSessionsAsync().WaitAsync(Timeout));
            await Assert.ThrowsAsync<LuodSessionNotFoundException>(() => client.ClaimAsync("db").WaitAsync(Timeout));
        }
    }

    [Fact]
    public async Task A_second_claim_returns_every_file_again_until_finish()
    {
        // docs/protocol.md §4.5: a client that crashed after its Claim claims again (the kernel's
        // luo_retrieve_file hands out another reference to a file already retrieved).
        using var bed = new LuodTestbed();
        var before = InProcessLuod.Start(bed);
        byte[] heap = System.Security.Cryptography.RandomNumberGenerator.GetBytes(8192);
        await using (var client = await before.ConnectAsync())
        {
            var session = await client.CreateManagedSessionAsync("db").WaitAsync(Timeout);
            using (var memfd = LuodTestbed.MemFdWith(heap)) await session.PreserveAsync("heap", memfd).WaitAsync(Timeout);
            using var index = PreservedMemory.Create("index", 4);
            "abcd"u8.CopyTo(index.Memory.Span);
            await session.PreserveAsync("index", index).WaitAsync(Timeout);
        }
        await using var after = await before.KexecAsync();
        await using var next = await after.ConnectAsync();
        using (var first = await next.ClaimManagedAsync("db").WaitAsync(Timeout))
            Assert.Equal(heap, LuodTestbed.Contents(first.Files["heap"]));
        using (var second = await next.ClaimManagedAsync("db").WaitAsync(Timeout))
        {
            Assert.Equal(["heap", "index"], second.Files.Keys.Order());
            Assert.Equal(heap, LuodTestbed.Contents(second.Files["heap"]));
            Assert.Equal("abcd"u8.ToArray(), LuodTestbed.Contents(second.Files["index"]));
            await second.FinishAsync().WaitAsync(Timeout);
        }
        await Assert.ThrowsAsync<LuodSessionNotFoundException>(() => next.ClaimAsync("db").WaitAsync(Timeout));
    }

    [Fact]
    public async Task Claiming_a_managed_session_as_delegated_says_so()
    {
        using var bed = new LuodTestbed();
        var before = InProcessLuod.Start(bed);
        await using (var client = await before.ConnectAsync())
        {
            var session = await client.CreateManagedSessionAsync("db").WaitAsync(Timeout);
            using var memory = PreservedMemory.Create("x", 16);
            await session.PreserveAsync("x", memory).WaitAsync(Timeout);
        }
        await using var after = await before.KexecAsync();
        await using var next = await after.ConnectAsync();
        var wrong = await Assert.ThrowsAsync<LiveUpdateClientException>(() => next.ClaimDelegatedAsync("db").WaitAsync(Timeout));
        Assert.Contains("managed, not delegated", wrong.Message);
        Assert.Equal(SessionState.Claimed, Assert.Single(await next.ListSessionsAsync().WaitAsync(Timeout)).State);
        await next.FinishAsync("db").WaitAsync(Timeout);
    }

    [Fact]
    public async Task Release_drops_the_session_before_the_kexec()
    {
        using var bed = new LuodTestbed();
        await using var luod = InProcessLuod.Start(bed);
        await using var client = await luod.ConnectAsync();
        await client.CreateManagedSessionAsync("tmp").WaitAsync(Timeout);
        await client.ReleaseAsync("tmp").WaitAsync(Timeout);
        Assert.Empty(await client.ListSessionsAsync().WaitAsync(Timeout));
    }

    [Fact]
    public async Task Delegated_session_fd_arrives_and_adoption_checks_it_is_a_session()
    {
        // The fake device's session fd is a placeholder memfd, so GET_NAME fails on it: the
        // client must not hand out a DelegatedSession over something that is not a LUO session.
        using var bed = new LuodTestbed();
        await using var luod = InProcessLuod.Start(bed);
        await using var client = await luod.ConnectAsync();
        await Assert.ThrowsAnyAsync<LiveUpdate.Kernel.Errors.LiveUpdateException>(() => client.CreateDelegatedSessionAsync("vm").WaitAsync(Timeout));
        var listed = Assert.Single(await client.ListSessionsAsync().WaitAsync(Timeout));
        Assert.Equal(SessionMode.Delegated, listed.Mode);
    }

    private static uint CurrentUid() =>
        uint.Parse(File.ReadLines("/proc/self/status").First(line => line.StartsWith("Uid:", StringComparison.Ordinal))
            .Split('\t', StringSplitOptions.RemoveEmptyEntries)[1]);
}
