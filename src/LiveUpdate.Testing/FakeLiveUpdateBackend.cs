// FakeLiveUpdateBackend: /dev/liveupdate in-process, following the semantics of Linux 7.2's
// luo_session.c, luo_file.c and memfd_luo.c — unique outgoing names, PRESERVE on outgoing
// sessions only, unique tokens, memfds only, a file preserved once anywhere, closing an
// outgoing session unpreserves its files (when its last descriptor closes; Adopt takes a
// session over through another descriptor, as luod does from systemd's fd store) — plus SimulateKexec, which turns every open
// outgoing session into an incoming one whose memfds keep their bytes.
using LiveUpdate.Kernel;
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Daemon;

namespace LiveUpdate.Testing;

/// <summary>
/// /dev/liveupdate in-process, with the rules of Linux 7.2's LUO: unique outgoing session names,
/// PRESERVE only in outgoing sessions, unique tokens, memfds only, a file preserved once
/// anywhere, and a session released with its last descriptor. <see cref="SimulateKexec"/>
/// turns every open outgoing session into an incoming one whose memfds keep their bytes.
/// Give it to luod's SessionRegistry in place of the kernel device (see <see cref="LuodTestbed"/>).
/// </summary>
public sealed class FakeLiveUpdateBackend : ILiveUpdateBackend
{
    internal const int ENOENT = 2;
    internal const int EBUSY = 16;
    internal const int EEXIST = 17;
    internal const int EINVAL = 22;

    private readonly Dictionary<string, FakeBackendSession> _outgoing = [];
    private Dictionary<string, FakeBackendSession> _incoming = [];
    private readonly HashSet<(ulong Device, ulong Inode)> _preserved = [];

    internal Lock Gate { get; } = new();

    /// <summary>How many times <see cref="SimulateKexec"/> ran.</summary>
    public int KexecCount { get; private set; }

    /// <summary>The kernel names of the outgoing sessions (created in this boot), sorted.</summary>
    public IReadOnlyList<string> OutgoingNames { get { lock (Gate) { Collect(); return [.. _outgoing.Keys.Order()]; } } }

    /// <summary>The kernel names of the incoming sessions (handed over by the last kexec), sorted.</summary>
    public IReadOnlyList<string> IncomingNames { get { lock (Gate) { Collect(); return [.. _incoming.Keys.Order()]; } } }

    /// <summary>
    /// Sessions whose opener closed them while another descriptor was open are released once
    /// that last descriptor is gone; checked whenever the fake is observed, which an observer
    /// cannot tell apart from the kernel releasing at the last close.
    /// </summary>
    private void Collect()
    {
        foreach (var list in new[] { _outgoing, _incoming })
            foreach (var session in list.Values.Where(s => s.Detached && !NativeFile.IsOpenInProcess(s.HandleIdentity)).ToList())
            {
                session.ReleaseDetached();
                list.Remove(session.KernelName);
            }
    }

    /// <summary>Takes a session over through another descriptor of it (as luod does from systemd's fd store).</summary>
    public IBackendSession Adopt(FileDescriptorHandle descriptor, SessionDirection direction)
    {
        lock (Gate)
        {
            var identity = NativeFile.Identity(descriptor);
            var list = direction == SessionDirection.Outgoing ? _outgoing : _incoming;
            var session = list.Values.FirstOrDefault(s => s.HandleIdentity == identity)
                ?? throw new InvalidLiveUpdateArgumentException(KernelOperation.GetSessionName, EINVAL,
                    $"the descriptor is not an {direction.ToString().ToLowerInvariant()} LUO session");
            var adopted = session.TakeOver(descriptor);
            list[session.KernelName] = adopted;
            return adopted;
        }
    }

    /// <summary>The name of the session <paramref name="descriptor"/> refers to, or null when it is no LUO session (systemd's fd_get_luo_session_name).</summary>
    public string? SessionNameOf(System.Runtime.InteropServices.SafeHandle descriptor)
    {
        lock (Gate)
        {
            Collect();
            var identity = NativeFile.Identity(descriptor);
            return _outgoing.Values.Concat(_incoming.Values).FirstOrDefault(s => s.HandleIdentity == identity)?.KernelName;
        }
    }

    /// <summary>Tokens preserved in the outgoing session <paramref name="kernelName"/> (empty when it does not exist).</summary>
    public IReadOnlyList<ulong> OutgoingTokens(string kernelName)
    {
        lock (Gate)
        {
            Collect();
            return _outgoing.TryGetValue(kernelName, out var session) ? session.Tokens : [];
        }
    }

    /// <summary>CREATE_SESSION: a new outgoing session; EEXIST when the name is taken.</summary>
    public IBackendSession Create(string kernelName)
    {
        SessionName.Parse(kernelName, KernelOperation.CreateSession);
        lock (Gate)
        {
            Collect();
            if (_outgoing.ContainsKey(kernelName))
                throw new DuplicateSessionException(KernelOperation.CreateSession, EEXIST, $"A session named '{kernelName}' already exists.");
            var session = new FakeBackendSession(this, kernelName, SessionDirection.Outgoing, []);
            _outgoing[kernelName] = session;
            return session;
        }
    }

    /// <summary>RETRIEVE_SESSION: an incoming session, once per boot; ENOENT when there is none of that name.</summary>
    public IBackendSession Retrieve(string kernelName)
    {
        SessionName.Parse(kernelName, KernelOperation.RetrieveSession);
        lock (Gate)
        {
            Collect();
            if (!_incoming.TryGetValue(kernelName, out var session))
                throw new SessionNotFoundException(ENOENT, $"No session named '{kernelName}' was handed over by the previous kernel.");
            if (session.Retrieved)
                throw new DuplicateSessionException(KernelOperation.RetrieveSession, EINVAL, $"The session '{kernelName}' has already been retrieved in this boot.");
            session.Retrieved = true;
            return session;
        }
    }

    /// <summary>
    /// A kexec: every outgoing session still open is handed over (its files keep their bytes);
    /// closed ones are gone, and so is everything of the previous incoming list. Handles from
    /// before stop working, as the old kernel's processes are gone.
    /// </summary>
    public void SimulateKexec()
    {
        lock (Gate)
        {
            Collect();
            foreach (var stale in _incoming.Values) stale.Abandon();
            var incoming = new Dictionary<string, FakeBackendSession>();
            foreach (var (name, session) in _outgoing)
                incoming[name] = new FakeBackendSession(this, name, SessionDirection.Incoming, session.HandOver());
            _outgoing.Clear();
            _preserved.Clear();
            _incoming = incoming;
            KexecCount++;
        }
    }

    /// <summary>A copy of an incoming file's memfd without retrieving it (to inspect or damage it).</summary>
    public MemFd PeekIncoming(string kernelName, ulong token)
    {
        lock (Gate) return _incoming[kernelName].Peek(token);
    }

    internal bool TryClaimIdentity((ulong, ulong) identity) => _preserved.Add(identity);

    internal void ReleaseIdentity((ulong, ulong) identity) => _preserved.Remove(identity);

    internal void Forget(FakeBackendSession session)
    {
        var list = session.Direction == SessionDirection.Outgoing ? _outgoing : _incoming;
        if (list.TryGetValue(session.KernelName, out var current) && ReferenceEquals(current, session))
            list.Remove(session.KernelName);
    }

    /// <summary>
    /// The process that retrieved incoming sessions dies (SIGKILL of a luod in the middle of its restore): each
    /// retrieved incoming session's fd closes, and the kernel finishes it (luo_session_release). Sessions never
    /// retrieved stay, retrievable by name.
    /// </summary>
    public void SimulateDeathOfRetriever()
    {
        List<FakeBackendSession> retrieved;
        lock (Gate) retrieved = [.. _incoming.Values.Where(s => s.Retrieved)];
        foreach (var session in retrieved) session.Dispose();
    }

    /// <summary>Drops every session and file (without the kernel-side effects of closing them).</summary>
    public void Dispose()
    {
        lock (Gate)
        {
            foreach (var session in _outgoing.Values.Concat(_incoming.Values).ToList()) session.Abandon();
            _outgoing.Clear();
            _incoming.Clear();
            _preserved.Clear();
        }
    }
}
