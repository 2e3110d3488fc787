// FileDescriptorReadiness: awaits "this socket is readable / writable" without blocking a
// thread and without polling. sendmsg/recvmsg are always issued with MSG_DONTWAIT; when they
// report EAGAIN the caller awaits readiness here, then tries again.
//
// Why our own epoll: .NET has no public API to await writability (a zero-byte SendAsync
// completes at once), and using .NET's zero-byte receive for readability would tie us to
// how its socket engine implements it. So one background thread sits in epoll_wait on a
// private epoll instance. Each wait registers a *duplicate* of the socket descriptor
// (F_DUPFD_CLOEXEC) level-triggered and EPOLLONESHOT under a unique token: duplicates make
// concurrent read and write waits on the same socket independent registrations, level
// triggering makes a socket that became ready before registration fire at once (no lost
// wake-up), and the duplicate is removed from the epoll set and closed when the wait ends.
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Kernel.Interop;

namespace LiveUpdate.Kernel;

internal sealed class FileDescriptorReadiness
{
    private static readonly Lazy<FileDescriptorReadiness> SharedInstance = new(() => new FileDescriptorReadiness());

    private readonly EpollHandle _epoll;
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource> _waiters = new();
    private ulong _nextToken;
    private volatile LiveUpdateException? _failure;

    private FileDescriptorReadiness()
    {
        int fd = LibC.EpollCreate1(LibC.EPOLL_CLOEXEC);
        if (fd < 0)
            throw ErrnoTranslator.Translate(KernelOperation.WaitForReadiness, LibC.LastErrno, "epoll_create1");
        _epoll = new EpollHandle(fd);
        new Thread(Run) { IsBackground = true, Name = "LiveUpdate epoll readiness" }.Start();
    }

    public static FileDescriptorReadiness Shared => SharedInstance.Value;

    /// <summary>Completes when <paramref name="socket"/> is readable (or at end of stream / error).</summary>
    public Task WaitReadableAsync(SafeHandle socket, CancellationToken cancellationToken) =>
        WaitAsync(socket, LibC.EPOLLIN | LibC.EPOLLRDHUP, cancellationToken);

    /// <summary>Completes when <paramref name="socket"/> is writable (or the peer is gone / error).</summary>
    public Task WaitWritableAsync(SafeHandle socket, CancellationToken cancellationToken) =>
        WaitAsync(socket, LibC.EPOLLOUT, cancellationToken);

    private async Task WaitAsync(SafeHandle socket, uint events, CancellationToken cancellationToken)
    {
        if (_failure is { } failure)
            throw failure;
        int duplicate = LibC.Fcntl(socket, LibC.F_DUPFD_CLOEXEC, 0);
        if (duplicate < 0)
            throw ErrnoTranslator.Translate(KernelOperation.WaitForReadiness, LibC.LastErrno, "duplicating the socket to wait for it");
        ulong token = Interlocked.Increment(ref _nextToken);
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiters[token] = completion;
        try
        {
            Register(duplicate, events | LibC.EPOLLONESHOT, token);
            try
            {
                using (cancellationToken.Register(() =>
                       {
                           if (_waiters.TryRemove(token, out var waiter))
                               waiter.TrySetCanceled(cancellationToken);
                       }))
                {
                    await completion.Task.ConfigureAwait(false);
                }
            }
            finally
            {
                Unregister(duplicate);
            }
        }
        finally
        {
            _waiters.TryRemove(token, out _);
            LibC.Close(duplicate);
        }
    }

    private unsafe void Register(int fd, uint events, ulong token)
    {
        var registration = new LibC.EpollEvent { Events = events, Data = token };
        if (LibC.EpollCtl(_epoll, LibC.EPOLL_CTL_ADD, fd, &registration) < 0)
            throw ErrnoTranslator.Translate(KernelOperation.WaitForReadiness, LibC.LastErrno, "epoll_ctl(ADD) of the socket");
    }

    private unsafe void Unregister(int fd) => LibC.EpollCtl(_epoll, LibC.EPOLL_CTL_DEL, fd, null);

    private unsafe void Run()
    {
        const int capacity = 64;
        var events = stackalloc LibC.EpollEvent[capacity];
        while (true)
        {
            int count = LibC.EpollWait(_epoll, events, capacity, -1);
            if (count < 0)
            {
                int errno = LibC.LastErrno;
                if (errno == Errno.EINTR)
                    continue;
                var failure = ErrnoTranslator.Translate(KernelOperation.WaitForReadiness, errno, "epoll_wait");
                _failure = failure;
                foreach (var token in _waiters.Keys)
                    if (_waiters.TryRemove(token, out var waiter))
                        waiter.TrySetException(failure);
                return;
            }
            for (int i = 0; i < count; i++)
                if (_waiters.TryRemove(events[i].Data, out var waiter))
                    waiter.TrySetResult();
        }
    }

    private sealed class EpollHandle : FileDescriptorHandle
    {
        public EpollHandle(int fd) : base(fd) { }
    }
}
