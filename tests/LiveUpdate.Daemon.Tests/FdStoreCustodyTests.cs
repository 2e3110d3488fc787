// FdStoreCustodyTests: luod with systemd's fd store. Every session fd (and the catalog's
// session and memfd) is parked in the store, so a luod that dies before the reboot loses
// nothing: the restarted luod takes the sessions back from LISTEN_FDS, goes on preserving
// into them, and the next kernel receives them byte for byte. Release and Finish take the
// entries out again; descriptors no record names are released, not kept forever.
using System.Security.Cryptography;
using LiveUpdate.Kernel;
using LiveUpdate.Varlink;

namespace LiveUpdate.Daemon.Tests;

public sealed class FdStoreCustodyTests
{
    private static readonly PeerCredentials Alice = LuodTestbed.User(1000);
    private static readonly PeerCredentials Bob = LuodTestbed.User(1001);

    [Fact]
    public async Task A_luod_crash_before_the_reboot_loses_nothing_when_systemd_keeps_the_fds()
    {
        using var bed = new LuodTestbed();
        await using var systemd = new FakeSystemdFdStore(bed.Directory);
        var first = bed.StartRegistry(systemd);
        var (db, _) = first.Create(Alice, "db", CatalogSessionMode.Managed, null);
        var (vm, delegatedFd) = first.Create(Bob, "vm", CatalogSessionMode.Delegated, null);
        Assert.NotNull(delegatedFd);
        byte[] heap = RandomNumberGenerator.GetBytes(200_000);
        using (var memfd = LuodTestbed.MemFdWith(heap))
            first.Preserve(Alice, "db", "heap", memfd);
        await first.FileDescriptorStore.FlushAsync();
        await systemd.WaitUntilAsync(names => names.Contains("luo-out." + db.KernelName) && names.Contains("luo-out." + vm.KernelName)
            && names.Contains("luo-out.luod.catalog.a") && names.Contains("luo-catalog-memfd.luod.catalog.a"));

        first.Dispose(); // SIGKILL: every fd luod had is closed; systemd's copies remain
        Assert.Contains(db.KernelName, bed.Backend.OutgoingNames);
        Assert.Equal([1UL], bed.Backend.OutgoingTokens(db.KernelName));

        var second = bed.StartRegistry(systemd);
        Assert.False(second.CustodyLost, second.CustodyLostReason);
        Assert.Equal(2, second.ResumedFromFdStore);
        Assert.Equal(CustodyState.Open, Assert.Single(second.List(Alice, all: false)).State);
        Assert.Equal(CustodyState.Open, Assert.Single(second.List(Bob, all: false)).State);

        // The adopted session takes more files, and the catalog goes on being written.
        byte[] wal = RandomNumberGenerator.GetBytes(4096);
        using (var memfd = LuodTestbed.MemFdWith(wal))
            Assert.Equal(new CatalogFile("wal", 2, wal.Length), second.Preserve(Alice, "db", "wal", memfd));

        var next = bed.Kexec(second);
        Assert.True(next.BootedByHandover);
        var (claimed, _, files) = next.Claim(Alice, "db");
        Assert.Equal(["heap", "wal"], claimed.Files.Select(f => f.Name));
        Assert.Equal(SHA256.HashData(heap), SHA256.HashData(LuodTestbed.Contents((MemFd)files[0])));
        Assert.Equal(SHA256.HashData(wal), SHA256.HashData(LuodTestbed.Contents((MemFd)files[1])));
        Assert.Equal(CustodyState.Restored, Assert.Single(next.List(Bob, all: false)).State);
    }

    [Fact]
    public async Task Sessions_restored_after_the_kexec_survive_a_luod_restart_until_claimed()
    {
        using var bed = new LuodTestbed();
        var before = bed.StartRegistry();
        byte[] data = RandomNumberGenerator.GetBytes(50_000);
        before.Create(Alice, "db", CatalogSessionMode.Managed, null);
        using (var memfd = LuodTestbed.MemFdWith(data))
            before.Preserve(Alice, "db", "data", memfd);

        await using var systemd = new FakeSystemdFdStore(bed.Directory);
        bed.Backend.SimulateKexec();
        before.Dispose();
        File.Delete(bed.Options.CustodyRecordPath);
        var restored = bed.StartRegistry(systemd);
        await restored.FileDescriptorStore.FlushAsync();
        string kernelName = KernelSessionNames.For(Alice.UserId, "db");
        await systemd.WaitUntilAsync(names => names.Contains("luo-in." + kernelName));

        restored.Dispose(); // luod dies before the owner claimed: an incoming session closed now would be finished
        var restarted = bed.StartRegistry(systemd);
        Assert.False(restarted.CustodyLost, restarted.CustodyLostReason);
        Assert.True(restarted.BootedByHandover);
        var (session, _, files) = restarted.Claim(Alice, "db");
        Assert.Equal(CustodyState.Claimed, session.State);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(LuodTestbed.Contents((MemFd)Assert.Single(files))));

        restarted.Finish(Alice, "db");
        await restarted.FileDescriptorStore.FlushAsync();
        await systemd.WaitUntilAsync(names => !names.Contains("luo-in." + kernelName));
        Assert.DoesNotContain(kernelName, bed.Backend.IncomingNames);
    }

    [Fact]
    public async Task Release_takes_the_session_out_of_the_fd_store_and_the_kernel_unpreserves_it()
    {
        using var bed = new LuodTestbed();
        await using var systemd = new FakeSystemdFdStore(bed.Directory);
        var luod = bed.StartRegistry(systemd);
        var (db, _) = luod.Create(Alice, "db", CatalogSessionMode.Managed, null);
        await luod.FileDescriptorStore.FlushAsync();
        await systemd.WaitUntilAsync(names => names.Contains("luo-out." + db.KernelName));

        luod.Release(Alice, "db");
        await luod.FileDescriptorStore.FlushAsync();
        await systemd.WaitUntilAsync(names => !names.Contains("luo-out." + db.KernelName));
        Assert.DoesNotContain(db.KernelName, bed.Backend.OutgoingNames);
    }

    [Fact]
    public async Task Without_an_fd_store_a_crash_still_reports_custody_lost()
    {
        using var bed = new LuodTestbed();
        var first = bed.StartRegistry();
        Assert.False(first.FileDescriptorStore.Enabled);
        var (db, _) = first.Create(Alice, "db", CatalogSessionMode.Managed, null);
        first.Dispose();
        Assert.DoesNotContain(db.KernelName, bed.Backend.OutgoingNames);
        var second = bed.StartRegistry();
        Assert.True(second.CustodyLost);
        Assert.Contains("no systemd fd store", Assert.Single(second.List(Alice, all: false)).LostReason);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Stored_sessions_no_custody_record_names_are_released()
    {
        using var bed = new LuodTestbed();
        await using var systemd = new FakeSystemdFdStore(bed.Directory);
        var first = bed.StartRegistry(systemd);
        var (db, _) = first.Create(Alice, "db", CatalogSessionMode.Managed, null);
        await first.FileDescriptorStore.FlushAsync();
        await systemd.WaitUntilAsync(names => names.Contains("luo-out." + db.KernelName));
        first.Dispose();
        File.Delete(bed.Options.CustodyRecordPath); // e.g. /run was wiped: nobody can say whose they are

        var second = bed.StartRegistry(systemd);
        await second.FileDescriptorStore.FlushAsync();
        await systemd.WaitUntilAsync(names => !names.Contains("luo-out." + db.KernelName));
        Assert.Empty(second.List(Alice, all: false));
        Assert.DoesNotContain(db.KernelName, bed.Backend.OutgoingNames);
        // The fresh catalog lives in the other slot: the stray one was still held while it was created.
        Assert.Equal(0, second.ResumedFromFdStore);
    }

    [Fact]
    public void Stored_names_are_what_systemd_accepts_and_say_what_they_hold()
    {
        Assert.Equal("luo-out.luod.u1000.db", StoredDescriptorNames.For(StoredDescriptorKind.OutgoingSession, "luod.u1000.db"));
        Assert.Equal((StoredDescriptorKind.IncomingSession, "luod.u0.x"), StoredDescriptorNames.Parse("luo-in.luod.u0.x"));
        string hashed = StoredDescriptorNames.For(StoredDescriptorKind.OutgoingSession, "luod.u1000.caché:1");
        Assert.Matches("^luo-out\\.~[0-9a-f]{24}$", hashed);
        Assert.Null(StoredDescriptorNames.Parse("luod.socket"));
        Assert.Null(StoredDescriptorNames.Parse(null));
    }

    [Fact]
    public async Task Sessions_systemd_carries_across_the_kexec_come_back_to_their_owners_byte_for_byte()
    {
        using var bed = new LuodTestbed();
        await using var systemd = new FakeSystemdFdStore(bed.Directory);
        var first = bed.StartRegistry(systemd);
        var (db, _) = first.Create(Alice, "db", CatalogSessionMode.Managed, null);
        var (vm, _) = first.Create(Bob, "vm", CatalogSessionMode.Delegated, null);
        byte[] heap = RandomNumberGenerator.GetBytes(300_000);
        using (var memfd = LuodTestbed.MemFdWith(heap))
            first.Preserve(Alice, "db", "heap", memfd);
        await first.FileDescriptorStore.FlushAsync();
        // Both sessions must be in the store before the kexec (the store is filled asynchronously; waiting for db only raced vm).
        await systemd.WaitUntilAsync(names => names.Contains("luo-out." + db.KernelName) && names.Contains("luo-out." + vm.KernelName)
            && names.Contains("luo-catalog-memfd.luod.catalog.a"));

        var (next, lost) = bed.KexecThroughSystemd(first, systemd);

        // systemd-shutdown cannot preserve the catalog memfd a second time (the catalog session holds it): only that is lost.
        Assert.Equal(["luo-catalog-memfd.luod.catalog.a"], lost);
        Assert.True(next.BootedByHandover);
        Assert.False(next.CustodyLost, next.CustodyLostReason);
        Assert.Equal(CustodyState.Restored, Assert.Single(next.List(Bob, all: false)).State);
        var (claimed, _, files) = next.Claim(Alice, "db");
        Assert.Equal("heap", Assert.Single(claimed.Files).Name);
        Assert.Equal(SHA256.HashData(heap), SHA256.HashData(LuodTestbed.Contents((MemFd)files[0])));

        // The sessions are re-filed as incoming, the previous boot's names and the finished catalog gone.
        await next.FileDescriptorStore.FlushAsync();
        await systemd.WaitUntilAsync(names => names.Contains("luo-in." + vm.KernelName)
            && !names.Contains("luo-out." + vm.KernelName) && !names.Contains("luo-out." + db.KernelName));
    }

    [Fact]
    public async Task After_a_kexec_through_systemd_a_luod_restart_still_finds_the_restored_sessions()
    {
        using var bed = new LuodTestbed();
        await using var systemd = new FakeSystemdFdStore(bed.Directory);
        var first = bed.StartRegistry(systemd);
        var (vm, _) = first.Create(Bob, "vm", CatalogSessionMode.Managed, null);
        byte[] ram = RandomNumberGenerator.GetBytes(100_000);
        using (var memfd = LuodTestbed.MemFdWith(ram))
            first.Preserve(Bob, "vm", "ram", memfd);
        await first.FileDescriptorStore.FlushAsync();
        await systemd.WaitUntilAsync(names => names.Contains("luo-out." + vm.KernelName));

        var (next, _) = bed.KexecThroughSystemd(first, systemd);
        await next.FileDescriptorStore.FlushAsync();
        await systemd.WaitUntilAsync(names => names.Contains("luo-in." + vm.KernelName) && !names.Contains("luo-out." + vm.KernelName));

        next.Dispose(); // a luod crash in the new boot, before Bob claims his session
        var restarted = bed.StartRegistry(systemd);
        Assert.False(restarted.CustodyLost, restarted.CustodyLostReason);
        var (claimed, _, files) = restarted.Claim(Bob, "vm");
        Assert.Equal("ram", Assert.Single(claimed.Files).Name);
        Assert.Equal(SHA256.HashData(ram), SHA256.HashData(LuodTestbed.Contents((MemFd)files[0])));
    }
}
