// Refusals (scenario luo-refusals): everything the kernel must refuse is refused with the typed
// error a caller can act on. Hop 0: a pipe, a socket and a regular file are not
// preservable; a duplicate session name, a duplicate token, the same file twice, a second
// open of the device, and a 64-byte name (rejected before any ioctl). It preserves one
// memfd so that, after the kexec, hop 1 can check: unknown session, unknown token,
// retrieving a session twice, preserving into an incoming session, then FINISH.
using System.IO.Pipes;
using System.Net.Sockets;
using LiveUpdate.Kernel;
using LiveUpdate.Kernel.Errors;
using LiveUpdate.GuestContract;

namespace LiveUpdate.Guest.Scenarios;

public sealed class Refusals(GuestPlan plan, ResultChannel results)
{
    private const string S2Session = "lu-s2";
    private const ulong Token = 42;

    private static readonly List<LiveUpdateSession> HeldSessions = [];

    public async Task<bool> RunAsync()
    {
        using var device = LiveUpdateDevice.Open();
        return plan.IsFirstHop ? await BeforeKexecAsync(device) : await AfterKexecAsync(device);
    }

    private async Task<bool> BeforeKexecAsync(LiveUpdateDevice device)
    {
        var session = device.CreateSession(S2Session);
        HeldSessions.Add(session);
        bool ok = true;

        ok &= await Expect<UnsupportedFileTypeException>(StepNames.LuoRefusals.Pipe, () =>
        {
            using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
            session.Preserve(pipe.SafePipeHandle, 100);
        });
        ok &= await Expect<UnsupportedFileTypeException>(StepNames.LuoRefusals.Socket, () =>
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            session.Preserve(socket.SafeHandle, 101);
        });
        ok &= await Expect<UnsupportedFileTypeException>(StepNames.LuoRefusals.RegularFile, () =>
        {
            string path = "/tmp/lu-s2-regular";
            File.WriteAllBytes(path, new byte[4096]);
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
            session.Preserve(file, 102);
        });
        ok &= await Expect<DuplicateSessionException>(StepNames.LuoRefusals.DuplicateSession, () => device.CreateSession(S2Session).Dispose());

        using var memfd = MemFd.Create("lu-s2");
        string sha = MemFdContent.Fill(memfd, 0x5252, 8192);
        ok &= await results.StepAsync(StepNames.LuoRefusals.Preserve, () =>
        {
            session.Preserve(memfd, Token);
            return $"memfd of 8192 bytes sha256={sha} preserved as token {Token}";
        });
        ok &= await Expect<DuplicateTokenException>(StepNames.LuoRefusals.DuplicateToken, () =>
        {
            using var other = MemFd.Create("lu-s2-other");
            other.SetSize(4096);
            session.Preserve(other, Token);
        });
        ok &= await Expect<DuplicateTokenException>(StepNames.LuoRefusals.SameFileTwice, () => session.Preserve(memfd, Token + 1));
        ok &= await Expect<DeviceBusyException>(StepNames.LuoRefusals.SecondOpen, () => LiveUpdateDevice.Open().Dispose(),
            e => e.HolderPid == Environment.ProcessId ? null : $"holder pid {e.HolderPid?.ToString() ?? "unknown"}, expected {Environment.ProcessId}");
        ok &= await Expect<InvalidLiveUpdateArgumentException>(StepNames.LuoRefusals.Name64Bytes, () => device.CreateSession(new string('n', 64)).Dispose(),
            e => e.Errno == 0 ? null : $"errno {e.Errno}: the kernel was called; the name must be rejected before the ioctl");
        ok &= await results.StepAsync(StepNames.LuoRefusals.Name63Bytes, () =>
        {
            string name = new('m', LiveUpdate.Kernel.SessionName.MaxBytes);
            using var longest = device.CreateSession(name);
            return $"a {LiveUpdate.Kernel.SessionName.MaxBytes}-byte name is accepted; GET_NAME returns {longest.GetName().Length} bytes";
        });
        return ok;
    }

    private async Task<bool> AfterKexecAsync(LiveUpdateDevice device)
    {
        bool ok = true;
        ok &= await Expect<SessionNotFoundException>(StepNames.LuoRefusals.UnknownSession, () => device.RetrieveSession("lu-s2-never-preserved").Dispose());
        using var session = device.RetrieveSession(S2Session);
        ok &= await Expect<DuplicateSessionException>(StepNames.LuoRefusals.RetrieveTwice, () => device.RetrieveSession(S2Session).Dispose());
        ok &= await Expect<TokenNotFoundException>(StepNames.LuoRefusals.UnknownToken, () => session.RetrieveMemFd(Token + 1000).Dispose());
        ok &= await Expect<InvalidLiveUpdateArgumentException>(StepNames.LuoRefusals.PreserveIntoIncoming, () =>
        {
            using var memfd = MemFd.Create("lu-s2-late");
            memfd.SetSize(4096);
            session.Preserve(memfd, 7);
        });
        ok &= await results.StepAsync(StepNames.LuoRefusals.RetrieveAndFinish, () =>
        {
            using var memfd = session.RetrieveMemFd(Token);
            string expected = SeededPattern.Sha256Of(0x5252, 8192);
            string actual = MemFdContent.Sha256(memfd);
            if (actual != expected) throw new InvalidOperationException($"sha256 {actual} != {expected}");
            session.Finish();
            return $"token {Token}: sha256={actual} — match; session finished";
        });
        return ok;
    }

    private Task<bool> Expect<TException>(string step, Action action, Func<TException, string?>? extraCheck = null)
        where TException : LiveUpdateException =>
        results.StepAsync(step, () =>
        {
            try
            {
                action();
            }
            catch (TException expected)
            {
                if (extraCheck?.Invoke(expected) is { } problem)
                    throw new InvalidOperationException($"got {typeof(TException).Name} but {problem}");
                return $"refused with {typeof(TException).Name} (errno {expected.Errno}): {expected.Message}";
            }
            throw new InvalidOperationException($"expected {typeof(TException).Name}, but the operation succeeded");
        });
}
