// FakeLiveUpdateBackendTests: the fake keeps the kernel's rules (luo_session.c, luo_file.c,
// memfd_luo.c) — otherwise the registry tests would prove nothing.
using LiveUpdate.Kernel;
using LiveUpdate.Kernel.Errors;

namespace LiveUpdate.Daemon.Tests;

public sealed class FakeLiveUpdateBackendTests
{
    [Fact]
    public void Outgoing_names_are_unique_and_validated()
    {
        using var backend = new FakeLiveUpdateBackend();
        using var first = backend.Create("one");
        var duplicate = Assert.Throws<DuplicateSessionException>(() => backend.Create("one"));
        Assert.Equal((KernelOperation.CreateSession, 17), (duplicate.Operation, duplicate.Errno));
        Assert.Throws<InvalidLiveUpdateArgumentException>(() => backend.Create(new string('x', 64)));
        Assert.Throws<InvalidLiveUpdateArgumentException>(() => backend.Create(""));
        first.Dispose();
        using var again = backend.Create("one");
    }

    [Fact]
    public void Preserve_follows_the_kernel_rules()
    {
        using var backend = new FakeLiveUpdateBackend();
        using var a = backend.Create("a");
        using var b = backend.Create("b");
        using var memfd = LuodTestbed.MemFdWith([1, 2, 3]);
        using var other = LuodTestbed.MemFdWith([4]);
        a.Preserve(memfd, 1);

        var token = Assert.Throws<DuplicateTokenException>(() => a.Preserve(other, 1));
        Assert.Equal(17, token.Errno);
        var again = Assert.Throws<DuplicateTokenException>(() => b.Preserve(memfd, 9));
        Assert.Equal(16, again.Errno);
        using (var dup = HeldFile.DuplicateOf(memfd))
            Assert.Equal(16, Assert.Throws<DuplicateTokenException>(() => a.Preserve(dup, 2)).Errno);

        var (read, write) = NativeFile.Pipe();
        using (read) using (write)
            Assert.Equal(2, Assert.Throws<UnsupportedFileTypeException>(() => a.Preserve(read, 3)).Errno);

        var retrieve = Assert.Throws<InvalidLiveUpdateArgumentException>(() => a.RetrieveMemFd(1));
        Assert.Equal((KernelOperation.RetrieveFd, 22), (retrieve.Operation, retrieve.Errno));
        var finish = Assert.Throws<InvalidLiveUpdateArgumentException>(() => a.Finish());
        Assert.Equal((KernelOperation.FinishSession, 22), (finish.Operation, finish.Errno));

        a.Dispose();
        b.Preserve(memfd, 1); // closing a unpreserved it
        Assert.Equal([1UL], backend.OutgoingTokens("b"));
    }

    [Fact]
    public void Kexec_hands_over_open_sessions_only_with_their_bytes()
    {
        using var backend = new FakeLiveUpdateBackend();
        var kept = backend.Create("kept");
        var closed = backend.Create("closed");
        using (var memfd = LuodTestbed.MemFdWith([9, 8, 7]))
        using (var small = LuodTestbed.MemFdWith([1]))
        {
            kept.Preserve(memfd, 5);
            closed.Preserve(small, 1);
        }
        closed.Dispose();
        backend.SimulateKexec();
        kept.Dispose();

        Assert.Empty(backend.OutgoingNames);
        Assert.Equal(["kept"], backend.IncomingNames);
        Assert.Equal(2, Assert.Throws<SessionNotFoundException>(() => backend.Retrieve("closed")).Errno);

        using var incoming = backend.Retrieve("kept");
        Assert.Equal(SessionDirection.Incoming, incoming.Direction);
        var twice = Assert.Throws<DuplicateSessionException>(() => backend.Retrieve("kept"));
        Assert.Equal((KernelOperation.RetrieveSession, 22), (twice.Operation, twice.Errno));
        using (var memfd = incoming.RetrieveMemFd(5))
            Assert.Equal([9, 8, 7], LuodTestbed.Contents(memfd));
        Assert.Equal(2, Assert.Throws<TokenNotFoundException>(() => incoming.RetrieveMemFd(6)).Errno);
        using (var memfd = LuodTestbed.MemFdWith([1]))
            Assert.Equal(22, Assert.Throws<InvalidLiveUpdateArgumentException>(() => incoming.Preserve(memfd, 7)).Errno);
        Assert.Equal(FileDescriptorKind.Memfd, FileDescriptorInspector.Describe(incoming.Handle));

        incoming.Finish();
        incoming.Dispose();
        Assert.Empty(backend.IncomingNames);
    }
}
