// FakeBackendSession: one session of the fake backend, with the kernel's per-direction
// rules: outgoing sessions take PRESERVE_FD, incoming ones RETRIEVE_FD and FINISH (each
// the wrong way round is EINVAL); closing an outgoing session unpreserves its files,
// closing an incoming one finishes it — when the last descriptor of the session closes, as
// in the kernel: while another copy is open (a delegated client's, systemd's fd store) the
// session stays, and Adopt takes it over through that copy. Its Handle is a real
// (placeholder) memfd so it can travel over SCM_RIGHTS.
using System.Runtime.InteropServices;
using LiveUpdate.Kernel;
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Daemon;

namespace LiveUpdate.Testing;

/// <summary>
/// One session of <see cref="FakeLiveUpdateBackend"/>, with the kernel's per-direction rules:
/// outgoing sessions take PRESERVE_FD, incoming ones RETRIEVE_FD and FINISH. Closing the last
/// descriptor of an outgoing session unpreserves its files; of an incoming one, finishes it.
/// </summary>
public sealed class FakeBackendSession : IBackendSession
{
    private readonly FakeLiveUpdateBackend _backend;
    private readonly Dictionary<ulong, (HeldFile File, (ulong, ulong) Identity)> _files;
    private readonly SafeHandle _handle;
    private bool _closed;
    private bool _abandoned;

    internal FakeBackendSession(FakeLiveUpdateBackend backend, string kernelName, SessionDirection direction,
        Dictionary<ulong, (HeldFile File, (ulong, ulong) Identity)> files)
    {
        _backend = backend;
        KernelName = kernelName;
        Direction = direction;
        _files = files;
        _handle = MemFd.Create($"fake-luo-session:{kernelName}");
        HandleIdentity = NativeFile.Identity(_handle);
    }

    /// <summary>Adopt: the same session reached through another descriptor of its placeholder file.</summary>
    private FakeBackendSession(FakeBackendSession original, SafeHandle handle)
    {
        _backend = original._backend;
        KernelName = original.KernelName;
        Direction = original.Direction;
        Retrieved = original.Retrieved;
        _files = original._files;
        _handle = handle;
        HandleIdentity = original.HandleIdentity;
    }

    /// <summary>The placeholder file's identity: every descriptor of this session refers to it.</summary>
    internal (ulong Device, ulong Inode) HandleIdentity { get; }

    /// <summary>Closed by its opener while another descriptor keeps the session alive.</summary>
    internal bool Detached { get; private set; }

    internal FakeBackendSession TakeOver(SafeHandle handle)
    {
        var adopted = new FakeBackendSession(this, handle);
        _abandoned = true;
        _closed = true;
        return adopted;
    }

    /// <summary>The last descriptor closed after Dispose: now the kernel-side release happens.</summary>
    internal void ReleaseDetached()
    {
        Detached = false;
        _abandoned = true;
        ReleaseFiles();
    }

    /// <summary>The session's name in the kernel.</summary>
    public string KernelName { get; }

    /// <summary>Outgoing (created in this boot) or incoming (handed over by the previous kernel).</summary>
    public SessionDirection Direction { get; }

    /// <summary>The session's descriptor: a placeholder memfd, so it can travel over SCM_RIGHTS.</summary>
    public SafeHandle Handle => _handle;

    /// <summary>Incoming only: set by the first RETRIEVE_SESSION.</summary>
    public bool Retrieved { get; internal set; }

    /// <summary>The tokens of the files the session holds, sorted.</summary>
    public IReadOnlyList<ulong> Tokens => [.. _files.Keys.Order()];

    /// <summary>PRESERVE_FD: outgoing sessions only, memfds only, each token and each file once.</summary>
    public void Preserve(SafeHandle file, ulong token)
    {
        lock (_backend.Gate)
        {
            ThrowIfUnusable();
            if (Direction != SessionDirection.Outgoing)
                throw new InvalidLiveUpdateArgumentException(KernelOperation.PreserveFd, FakeLiveUpdateBackend.EINVAL,
                    $"token {token}: files can only be preserved in a session created in this boot.");
            if (_files.ContainsKey(token))
                throw new DuplicateTokenException(FakeLiveUpdateBackend.EEXIST, $"token {token}: the token is already used in this session.");
            if (file.IsInvalid || file.IsClosed)
                throw new InvalidLiveUpdateArgumentException(KernelOperation.PreserveFd, 9, $"token {token}: the file descriptor is not open.");
            if (FileDescriptorInspector.Describe(file) != FileDescriptorKind.Memfd)
                throw new UnsupportedFileTypeException(FakeLiveUpdateBackend.ENOENT, $"token {token}: no live update handler accepts this kind of file.");
            var identity = NativeFile.Identity(file);
            if (!_backend.TryClaimIdentity(identity))
                throw new DuplicateTokenException(FakeLiveUpdateBackend.EBUSY, $"token {token}: this file is already preserved.");
            _files[token] = (HeldFile.DuplicateOf(file), identity);
        }
    }

    /// <summary>RETRIEVE_FD: incoming sessions only; a new descriptor on the preserved memfd.</summary>
    public MemFd RetrieveMemFd(ulong token)
    {
        lock (_backend.Gate)
        {
            ThrowIfUnusable();
            if (Direction != SessionDirection.Incoming)
                throw new InvalidLiveUpdateArgumentException(KernelOperation.RetrieveFd, FakeLiveUpdateBackend.EINVAL,
                    $"token {token}: files can only be retrieved from a session retrieved from the previous kernel.");
            if (!_files.TryGetValue(token, out var held))
                throw new TokenNotFoundException(FakeLiveUpdateBackend.ENOENT, $"token {token}: no file with this token was preserved in the session.");
            return held.File.DuplicateAsMemFd();
        }
    }

    /// <summary>FINISH: incoming sessions only; releases the session's files.</summary>
    public void Finish()
    {
        lock (_backend.Gate)
        {
            ThrowIfUnusable();
            if (Direction != SessionDirection.Incoming)
                throw new InvalidLiveUpdateArgumentException(KernelOperation.FinishSession, FakeLiveUpdateBackend.EINVAL,
                    $"{KernelName}: only a session retrieved from the previous kernel can be finished.");
            ReleaseFiles();
        }
    }

    /// <summary>Kexec: the files move to the next kernel's incoming session; this handle is dead.</summary>
    internal Dictionary<ulong, (HeldFile File, (ulong, ulong) Identity)> HandOver()
    {
        var files = new Dictionary<ulong, (HeldFile File, (ulong, ulong) Identity)>(_files);
        _files.Clear();
        _abandoned = true;
        return files;
    }

    internal MemFd Peek(ulong token) => _files[token].File.DuplicateAsMemFd();

    /// <summary>The kernel that knew this session is gone: drop its files without the kernel-side effects.</summary>
    internal void Abandon()
    {
        ReleaseFiles();
        _abandoned = true;
    }

    /// <summary>Closing the session fd: unpreserve (outgoing) or finish (incoming), and free the name.</summary>
    public void Dispose()
    {
        lock (_backend.Gate)
        {
            if (_closed) return;
            _closed = true;
            _handle.Dispose();
            if (_abandoned) return;
            if (NativeFile.IsOpenInProcess(HandleIdentity))
            {
                Detached = true; // another descriptor holds the session: nothing happens yet
                return;
            }
            ReleaseFiles();
            _backend.Forget(this);
        }
    }

    private void ReleaseFiles()
    {
        foreach (var (file, identity) in _files.Values)
        {
            if (Direction == SessionDirection.Outgoing) _backend.ReleaseIdentity(identity);
            file.Dispose();
        }
        _files.Clear();
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (_abandoned)
            throw new InvalidOperationException($"session '{KernelName}' belongs to a kernel that is gone (a kexec happened since)");
    }
}
