// SessionRegistryTests: luod's custody logic over the fake device — a managed session's
// bytes across a kexec, delegated sessions, ownership, quota, refused files and metadata,
// the orphan policies, and custody lost (a luod that stopped, a damaged catalog).
using System.Security.Cryptography;
using LiveUpdate.Kernel;
using LiveUpdate.Varlink;

namespace LiveUpdate.Daemon.Tests;

public sealed class SessionRegistryTests
{
    private static readonly PeerCredentials Alice = LuodTestbed.User(1000);
    private static readonly PeerCredentials Bob = LuodTestbed.User(1001);
    private static readonly PeerCredentials Root = LuodTestbed.User(0);

    private static void AssertError(string name, Action call) =>
        Assert.Equal($"io.liveupdate.{name}", Assert.Throws<VarlinkErrorException>(call).ErrorName);

    [Fact]
    public void Managed_session_crosses_the_kexec_with_its_bytes()
    {
        using var bed = new LuodTestbed();
        var before = bed.StartRegistry();
        string metadata = Convert.ToBase64String("port=5432"u8);
        var (created, delegatedFd) = before.Create(Alice, "db", CatalogSessionMode.Managed, metadata);
        Assert.Null(delegatedFd);
        Assert.Contains(created.KernelName, bed.Backend.OutgoingNames);

        byte[] heap = RandomNumberGenerator.GetBytes(300_000);
        byte[] wal = RandomNumberGenerator.GetBytes(4096);
        using (var heapFd = LuodTestbed.MemFdWith(heap))
        using (var walFd = LuodTestbed.MemFdWith(wal))
        {
            Assert.Equal(new CatalogFile("heap", 1, heap.Length), before.Preserve(Alice, "db", "heap", heapFd));
            Assert.Equal(new CatalogFile("wal", 2, wal.Length), before.Preserve(Alice, "db", "wal", walFd));
            AssertError("InvalidName", () => before.Preserve(Alice, "db", "heap", walFd));
        }
        Assert.Equal([1UL, 2UL], bed.Backend.OutgoingTokens(created.KernelName));

        var after = bed.Kexec(before);
        Assert.True(after.BootedByHandover);
        Assert.False(after.CustodyLost, after.CustodyLostReason);
        var restored = Assert.Single(after.List(Alice, all: false));
        Assert.Equal(CustodyState.Restored, restored.State);
        Assert.Equal(metadata, restored.Metadata);
        Assert.Equal(["heap", "wal"], restored.Files.Select(f => f.Name));
        AssertError("WrongState", () => after.Finish(Alice, "db"));

        var (claimed, sessionFd, files) = after.Claim(Alice, "db");
        try
        {
            Assert.Null(sessionFd);
            Assert.Equal(CustodyState.Claimed, claimed.State);
            Assert.Equal(2, files.Count);
            Assert.Equal(SHA256.HashData(heap), SHA256.HashData(LuodTestbed.Contents(Assert.IsType<MemFd>(files[0]))));
            Assert.Equal(SHA256.HashData(wal), SHA256.HashData(LuodTestbed.Contents(Assert.IsType<MemFd>(files[1]))));
        }
        finally
        {
            foreach (var file in files) file.Dispose();
        }

        after.Finish(Alice, "db");
        Assert.Empty(after.List(Alice, all: false));
        Assert.DoesNotContain(created.KernelName, bed.Backend.IncomingNames);
        AssertError("SessionNotFound", () => after.Claim(Alice, "db"));
    }

    [Fact]
    public void Delegated_session_hands_out_its_session_fd()
    {
        using var bed = new LuodTestbed();
        var before = bed.StartRegistry();
        var (session, fd) = before.Create(Alice, "vm", CatalogSessionMode.Delegated, null);
        Assert.NotNull(fd);
        Assert.Equal(FileDescriptorKind.Memfd, FileDescriptorInspector.Describe(fd)); // the fake's placeholder
        Assert.Equal(CatalogSessionMode.Delegated, session.Mode);
        using (var memfd = LuodTestbed.MemFdWith([1]))
            AssertError("WrongState", () => before.Preserve(Alice, "vm", "x", memfd));

        var after = bed.Kexec(before);
        var (claimed, sessionFd, files) = after.Claim(Alice, "vm");
        Assert.NotNull(sessionFd);
        Assert.Empty(files);
        Assert.Equal(CustodyState.Claimed, claimed.State);
    }

    [Fact]
    public void Owners_see_and_act_on_their_own_sessions_only()
    {
        using var bed = new LuodTestbed();
        var registry = bed.StartRegistry();
        var (alices, _) = registry.Create(Alice, "db", CatalogSessionMode.Managed, null);
        var (bobs, _) = registry.Create(Bob, "db", CatalogSessionMode.Managed, null);
        Assert.NotEqual(alices.KernelName, bobs.KernelName);
        registry.Release(Bob, "db");
        registry.Create(Bob, "mine", CatalogSessionMode.Managed, null);

        Assert.Equal(["mine"], registry.List(Bob, all: false).Select(s => s.Name));
        AssertError("SessionNotFound", () => registry.Claim(Bob, "db"));
        AssertError("SessionNotFound", () => registry.Release(Bob, "db"));
        using (var memfd = LuodTestbed.MemFdWith([1]))
            AssertError("SessionNotFound", () => registry.Preserve(Bob, "db", "x", memfd));
        AssertError("PermissionDenied", () => registry.List(Bob, all: true));
        Assert.Equal([(1000u, "db"), (1001u, "mine")], registry.List(Root, all: true).Select(s => (s.Owner, s.Name)));
        Assert.Empty(registry.List(Root, all: false));
    }

    [Fact]
    public void Quota_refuses_before_anything_is_preserved()
    {
        using var bed = new LuodTestbed(options => options.QuotaBytesPerOwner = 1 << 20);
        var registry = bed.StartRegistry();
        var (session, _) = registry.Create(Alice, "db", CatalogSessionMode.Managed, null);
        using var big = MemFd.Create("big");
        big.SetSize(2 << 20);
        var error = Assert.Throws<VarlinkErrorException>(() => registry.Preserve(Alice, "db", "big", big));
        Assert.Equal("io.liveupdate.QuotaExceeded", error.ErrorName);
        Assert.Equal(1 << 20, (long?)error.Parameters["limitBytes"]);
        Assert.Equal(2 << 20, (long?)error.Parameters["requestedBytes"]);
        Assert.Empty(bed.Backend.OutgoingTokens(session.KernelName));
        Assert.Empty(Assert.Single(registry.List(Alice, all: false)).Files);

        using var small = MemFd.Create("small");
        small.SetSize(512 << 10);
        registry.Preserve(Alice, "db", "small", small);
        Assert.Equal([1UL], bed.Backend.OutgoingTokens(session.KernelName));
    }

    [Fact]
    public void A_managed_session_takes_253_files_refuses_the_254th_and_hands_all_253_back_after_the_kexec()
    {
        // One Claim reply carries every file, and one message at most SCM_MAX_FD (253) descriptors: a 254th file
        // used to be preserved, and its Claim then moved the session to claimed without handing anything back.
        using var bed = new LuodTestbed();
        var before = bed.StartRegistry();
        var (session, _) = before.Create(Alice, "many", CatalogSessionMode.Managed, null);
        for (int i = 0; i < SessionRegistry.MaxFilesPerManagedSession; i++)
        {
            using var memfd = LuodTestbed.MemFdWith([(byte)i]);
            before.Preserve(Alice, "many", $"f{i}", memfd);
        }
        using (var extra = LuodTestbed.MemFdWith([0xFF]))
        {
            var error = Assert.Throws<VarlinkErrorException>(() => before.Preserve(Alice, "many", "f253", extra));
            Assert.Equal("io.liveupdate.UnsupportedFile", error.ErrorName);
            Assert.Contains("253 files", (string?)error.Parameters["reason"]);
            Assert.Contains("another session", (string?)error.Parameters["reason"]);
        }
        Assert.Equal(253, bed.Backend.OutgoingTokens(session.KernelName).Count);

        var after = bed.Kexec(before);
        var (claimed, _, files) = after.Claim(Alice, "many");
        Assert.Equal(253, files.Count);
        for (int i = 0; i < files.Count; i++)
            Assert.Equal([(byte)i], LuodTestbed.Contents((MemFd)files[i]));
        foreach (var file in files) file.Dispose();
        after.Finish(Alice, "many");
    }

    [Fact]
    public void A_session_luod_cannot_record_is_undone_and_the_error_says_why()
    {
        // fault-kexec-and-limits: at its open-file limit luod could not write its custody record after the kernel
        // had made the session, answered InternalError, and kept the session listed open. Here the record's
        // directory is replaced by a file, which fails the same write.
        using var bed = new LuodTestbed();
        var registry = bed.StartRegistry();
        string directory = Path.GetDirectoryName(bed.Options.CustodyRecordPath)!;
        Directory.Delete(directory, recursive: true);
        File.WriteAllText(directory, "not a directory");

        var error = Assert.Throws<VarlinkErrorException>(() => registry.Create(Alice, "db", CatalogSessionMode.Managed, null));
        Assert.Equal("io.liveupdate.KernelError", error.ErrorName);
        Assert.Equal("CreateSession", (string?)error.Parameters["operation"]);
        Assert.Contains("was not created", (string?)error.Parameters["message"]);
        Assert.Contains("nothing was kept", (string?)error.Parameters["message"]);
        Assert.Empty(registry.List(Alice, all: false));
        Assert.DoesNotContain(KernelSessionNames.For(Alice.UserId, "db"), bed.Backend.OutgoingNames); // released in the kernel too

        File.Delete(directory);
        Directory.CreateDirectory(directory);
        var (session, _) = registry.Create(Alice, "db", CatalogSessionMode.Managed, null); // a retry works: no SessionExists
        Assert.Equal(CustodyState.Open, session.State);
    }

    [Fact]
    public void A_pipe_is_refused_as_unsupported()
    {
        using var bed = new LuodTestbed();
        var registry = bed.StartRegistry();
        var (session, _) = registry.Create(Alice, "db", CatalogSessionMode.Managed, null);
        var (read, write) = NativeFile.Pipe();
        using (read) using (write)
            AssertError("UnsupportedFile", () => registry.Preserve(Alice, "db", "pipe", read));
        Assert.Empty(bed.Backend.OutgoingTokens(session.KernelName));
    }

    [Fact]
    public void The_same_memfd_twice_is_a_kernel_error()
    {
        using var bed = new LuodTestbed();
        var registry = bed.StartRegistry();
        registry.Create(Alice, "db", CatalogSessionMode.Managed, null);
        using var memfd = LuodTestbed.MemFdWith([1, 2]);
        registry.Preserve(Alice, "db", "a", memfd);
        var error = Assert.Throws<VarlinkErrorException>(() => registry.Preserve(Alice, "db", "b", memfd));
        Assert.Equal("io.liveupdate.KernelError", error.ErrorName);
        Assert.Equal(16, (int?)error.Parameters["errno"]);
        Assert.Single(Assert.Single(registry.List(Alice, all: false)).Files);
    }

    [Fact]
    public void Metadata_over_64_KiB_is_refused()
    {
        using var bed = new LuodTestbed();
        var registry = bed.StartRegistry();
        string tooBig = Convert.ToBase64String(new byte[SessionRegistry.MaxMetadataBytes + 1]);
        AssertError("MetadataTooLarge", () => registry.Create(Alice, "db", CatalogSessionMode.Managed, tooBig));
        Assert.Empty(registry.List(Alice, all: false));
        registry.Create(Alice, "db", CatalogSessionMode.Managed, Convert.ToBase64String(new byte[SessionRegistry.MaxMetadataBytes]));
        AssertError("MetadataTooLarge", () => registry.SetMetadata(Alice, "db", tooBig));
        AssertError("InvalidName", () => registry.SetMetadata(Alice, "db", "not base64!"));
    }

    [Fact]
    public void Duplicate_and_bad_names_are_refused()
    {
        using var bed = new LuodTestbed();
        var registry = bed.StartRegistry();
        registry.Create(Alice, "db", CatalogSessionMode.Managed, null);
        AssertError("SessionExists", () => registry.Create(Alice, "db", CatalogSessionMode.Delegated, null));
        AssertError("InvalidName", () => registry.Create(Alice, "a/b", CatalogSessionMode.Managed, null));
        AssertError("InvalidName", () => registry.Create(Alice, "", CatalogSessionMode.Managed, null));
        var (longOne, _) = registry.Create(Alice, new string('é', 120), CatalogSessionMode.Managed, null);
        Assert.Contains(longOne.KernelName, bed.Backend.OutgoingNames);
    }

    [Fact]
    public void Orphan_policy_keep_marks_unclaimed_sessions_orphaned()
    {
        using var bed = new LuodTestbed(options => { options.OrphanGrace = TimeSpan.Zero; options.OrphanPolicy = OrphanPolicy.Keep; });
        var before = bed.StartRegistry();
        before.Create(Alice, "db", CatalogSessionMode.Managed, null);
        using (var memfd = LuodTestbed.MemFdWith([5]))
            before.Preserve(Alice, "db", "x", memfd);
        var after = bed.Kexec(before);

        var orphan = Assert.Single(after.ApplyOrphanPolicy(SessionRegistry.NowNs()));
        Assert.Equal(CustodyState.Orphaned, orphan.State);
        Assert.Equal(CustodyState.Orphaned, Assert.Single(after.List(Alice, all: false)).State);
        Assert.Empty(after.ApplyOrphanPolicy(SessionRegistry.NowNs()));

        var (_, _, files) = after.Claim(Alice, "db");
        using (var memfd = Assert.IsType<MemFd>(Assert.Single(files)))
            Assert.Equal([5], LuodTestbed.Contents(memfd));
    }

    [Fact]
    public void Orphan_policy_finish_releases_unclaimed_sessions()
    {
        using var bed = new LuodTestbed(options => { options.OrphanGrace = TimeSpan.Zero; options.OrphanPolicy = OrphanPolicy.Finish; });
        var before = bed.StartRegistry();
        var (session, _) = before.Create(Alice, "db", CatalogSessionMode.Managed, null);
        using (var memfd = LuodTestbed.MemFdWith([5]))
            before.Preserve(Alice, "db", "x", memfd);
        var after = bed.Kexec(before);
        Assert.Contains(session.KernelName, bed.Backend.IncomingNames);

        var orphan = Assert.Single(after.ApplyOrphanPolicy(SessionRegistry.NowNs()));
        Assert.Equal(CustodyState.Finished, orphan.State);
        Assert.Empty(after.List(Alice, all: false));
        Assert.DoesNotContain(session.KernelName, bed.Backend.IncomingNames);
        AssertError("SessionNotFound", () => after.Claim(Alice, "db"));
    }

    [Fact]
    public void Orphan_grace_spares_sessions_restored_just_now()
    {
        using var bed = new LuodTestbed(options => { options.OrphanGrace = TimeSpan.FromMinutes(5); options.OrphanPolicy = OrphanPolicy.Finish; });
        var before = bed.StartRegistry();
        before.Create(Alice, "db", CatalogSessionMode.Managed, null);
        var after = bed.Kexec(before);
        Assert.Empty(after.ApplyOrphanPolicy(SessionRegistry.NowNs()));
        Assert.Equal(CustodyState.Restored, Assert.Single(after.List(Alice, all: false)).State);
    }

    [Fact]
    public void A_luod_that_stopped_in_this_boot_leaves_custody_lost_not_not_found()
    {
        using var bed = new LuodTestbed();
        var first = bed.StartRegistry();
        var (db, _) = first.Create(Alice, "db", CatalogSessionMode.Managed, null);
        using (var memfd = LuodTestbed.MemFdWith([1, 2, 3]))
            first.Preserve(Alice, "db", "x", memfd);
        first.Create(Bob, "vm", CatalogSessionMode.Delegated, null);
        first.Dispose(); // luod stops: the kernel closes its fds and unpreserves
        Assert.DoesNotContain(db.KernelName, bed.Backend.OutgoingNames);
        Assert.Empty(bed.Backend.OutgoingTokens(db.KernelName));

        var second = bed.StartRegistry();
        Assert.True(second.CustodyLost);
        Assert.Contains("2 session(s)", second.CustodyLostReason);
        Assert.False(second.BootedByHandover);
        AssertError("CustodyLost", () => second.Claim(Alice, "db"));
        AssertError("CustodyLost", () => second.Claim(Bob, "vm"));
        Assert.Equal(CustodyState.Lost, Assert.Single(second.List(Alice, all: false)).State);
        AssertError("SessionNotFound", () => second.Claim(Bob, "db"));

        // The name can be used again.
        var (again, _) = second.Create(Alice, "db", CatalogSessionMode.Managed, null);
        Assert.Equal(CustodyState.Open, again.State);
        Assert.Contains(again.KernelName, bed.Backend.OutgoingNames);
    }

    [Fact]
    public void Custody_lost_travels_through_the_next_kexec_in_the_catalog()
    {
        using var bed = new LuodTestbed();
        var first = bed.StartRegistry();
        first.Create(Alice, "db", CatalogSessionMode.Managed, null);
        first.Dispose(); // killed: the kernel unpreserves the session

        var second = bed.StartRegistry(); // same boot: learns the loss from the custody record
        AssertError("CustodyLost", () => second.Claim(Alice, "db"));

        var third = bed.Kexec(second); // next kernel: no custody record on the fresh /run
        Assert.True(third.CustodyLost);
        Assert.Equal(CustodyState.Lost, Assert.Single(third.List(Alice, all: false)).State);
        AssertError("CustodyLost", () => third.Claim(Alice, "db"));
    }

    [Fact]
    public void A_damaged_catalog_is_reported_as_custody_lost_with_the_reason()
    {
        using var bed = new LuodTestbed();
        var before = bed.StartRegistry();
        var (db, _) = before.Create(Alice, "db", CatalogSessionMode.Managed, null);
        bed.Backend.SimulateKexec();
        before.Dispose();
        File.Delete(bed.Options.CustodyRecordPath);

        string slot = Assert.Single(bed.Backend.IncomingNames, n => n.StartsWith(KernelSessionNames.Catalog, StringComparison.Ordinal));
        using (var catalog = bed.Backend.PeekIncoming(slot, CatalogStore.CatalogToken))
        {
            byte[] one = new byte[1];
            catalog.Read(one, CatalogCodec.HeaderSize + 2);
            one[0] ^= 0x01;
            catalog.Write(one, CatalogCodec.HeaderSize + 2);
        }

        var after = bed.StartRegistry();
        Assert.True(after.CustodyLost);
        Assert.Contains("SHA-256", after.CustodyLostReason);
        Assert.Contains(slot, after.CustodyLostReason);
        Assert.Empty(after.List(Root, all: true));
        Assert.Contains(db.KernelName, bed.Backend.IncomingNames); // still preserved, just unowned
    }

    [Fact]
    public void Catalog_grows_past_its_first_memfd_and_still_crosses_the_kexec()
    {
        using var bed = new LuodTestbed();
        var before = bed.StartRegistry();
        string metadata = Convert.ToBase64String(new byte[60_000]);
        for (int i = 0; i < 4; i++)
            before.Create(Alice, $"s{i}", CatalogSessionMode.Managed, metadata);
        var after = bed.Kexec(before);
        Assert.False(after.CustodyLost, after.CustodyLostReason);
        Assert.Equal(4, after.List(Alice, all: false).Count);
        Assert.Single(bed.Backend.OutgoingNames, n => n.StartsWith(KernelSessionNames.Catalog, StringComparison.Ordinal));
    }
}
