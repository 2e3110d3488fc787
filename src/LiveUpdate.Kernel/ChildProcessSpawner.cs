// ChildProcessSpawner: starts a program with given descriptors at 3, 4, 5… — the way systemd
// hands LISTEN_FDS to a service — which System.Diagnostics.Process cannot do. Each source
// is first duplicated (F_DUPFD_CLOEXEC) to a number ≥ 1000, so no source can be overwritten
// by an earlier dup2 onto its own number, then posix_spawn dup2s high → target, which leaves
// the target without close-on-exec; everything else this process holds is close-on-exec
// already (.NET and this assembly open everything that way) and stays behind. The child
// gets the default disposition of every signal and an empty signal mask, not this runtime's.
// The result, SpawnedProcess, can be signalled and awaited (pidfd readiness + waitpid), which
// Process.GetProcessById cannot do for a child it did not start (it never reaps it).
using System.Runtime.InteropServices;
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Kernel.Interop;
using static LiveUpdate.Kernel.Interop.Errno;

namespace LiveUpdate.Kernel;

public static class ChildProcessSpawner
{
    /// <summary>The first descriptor number the passed handles get (SD_LISTEN_FDS_START).</summary>
    public const int FirstPassedDescriptor = 3;

    private const int HighDescriptorFloor = 1000;

    /// <summary>
    /// Starts <paramref name="program"/> (an absolute path; no PATH search) with argv
    /// <c>[program, ..arguments]</c>, exactly <paramref name="environment"/> as its environment,
    /// and <paramref name="descriptors"/>[i] open at descriptor 3+i. stdin/stdout/stderr are
    /// inherited. The handles stay the caller's; the child gets its own copies.
    /// </summary>
    public static unsafe SpawnedProcess Spawn(string program, IReadOnlyList<string> arguments,
        IEnumerable<KeyValuePair<string, string>> environment, IReadOnlyList<SafeHandle> descriptors)
    {
        ArgumentException.ThrowIfNullOrEmpty(program);
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(descriptors);
        if (!program.StartsWith('/'))
            throw new InvalidLiveUpdateArgumentException(KernelOperation.InspectFile, 0,
                $"'{program}' is not an absolute path; pass the program's full path (the spawner does not search PATH).");

        var referenced = new bool[descriptors.Count];
        var high = new List<int>(descriptors.Count);
        var strings = new List<nint>();
        void* actions = NativeMemory.AllocZeroed(LibC.SpawnFileActionsSize);
        void* attributes = NativeMemory.AllocZeroed(LibC.SpawnAttributesSize);
        void* signals = NativeMemory.AllocZeroed(LibC.SignalSetSize);
        bool actionsReady = false, attributesReady = false;
        try
        {
            for (int i = 0; i < descriptors.Count; i++)
            {
                var handle = descriptors[i] ?? throw new ArgumentException($"Descriptor {i} is null.", nameof(descriptors));
                handle.DangerousAddRef(ref referenced[i]);
                int copy = LibC.Fcntl(handle, LibC.F_DUPFD_CLOEXEC, HighDescriptorFloor);
                if (copy < 0)
                    throw DuplicateFailed(LibC.LastErrno, i);
                high.Add(copy);
            }

            Check(LibC.PosixSpawnFileActionsInit(actions), "posix_spawn_file_actions_init");
            actionsReady = true;
            for (int i = 0; i < high.Count; i++)
                Check(LibC.PosixSpawnFileActionsAddDup2(actions, high[i], FirstPassedDescriptor + i), $"posix_spawn_file_actions_adddup2({high[i]}, {FirstPassedDescriptor + i})");

            Check(LibC.PosixSpawnAttrInit(attributes), "posix_spawnattr_init");
            attributesReady = true;
            LibC.SigEmptySet(signals);
            Check(LibC.PosixSpawnAttrSetSigMask(attributes, signals), "posix_spawnattr_setsigmask");
            LibC.SigFillSet(signals);
            Check(LibC.PosixSpawnAttrSetSigDefault(attributes, signals), "posix_spawnattr_setsigdefault");
            Check(LibC.PosixSpawnAttrSetFlags(attributes, LibC.POSIX_SPAWN_SETSIGMASK | LibC.POSIX_SPAWN_SETSIGDEF), "posix_spawnattr_setflags");

            byte* path = Utf8(program, strings);
            var argv = new nint[arguments.Count + 2];
            argv[0] = (nint)path;
            for (int i = 0; i < arguments.Count; i++)
                argv[i + 1] = (nint)Utf8(arguments[i], strings);
            var envp = new List<nint>();
            foreach (var (name, value) in environment)
            {
                if (string.IsNullOrEmpty(name) || name.Contains('='))
                    throw new ArgumentException($"'{name}' is not an environment variable name.", nameof(environment));
                envp.Add((nint)Utf8($"{name}={value}", strings));
            }
            envp.Add(0);
            var envpArray = envp.ToArray();

            int pid;
            int result;
            fixed (nint* argvPointer = argv)
            fixed (nint* envpPointer = envpArray)
                result = LibC.PosixSpawn(&pid, path, actions, attributes, (byte**)argvPointer, (byte**)envpPointer);
            if (result != 0)
                throw SpawnFailed(result, program);
            return new SpawnedProcess(pid, program);
        }
        finally
        {
            if (actionsReady) LibC.PosixSpawnFileActionsDestroy(actions);
            if (attributesReady) LibC.PosixSpawnAttrDestroy(attributes);
            NativeMemory.Free(actions);
            NativeMemory.Free(attributes);
            NativeMemory.Free(signals);
            foreach (nint text in strings) Marshal.FreeCoTaskMem(text);
            foreach (int copy in high) LibC.Close(copy);
            for (int i = 0; i < referenced.Length; i++)
                if (referenced[i]) descriptors[i].DangerousRelease();
        }
    }

    private static unsafe byte* Utf8(string text, List<nint> owned)
    {
        if (text.Contains('\0'))
            throw new ArgumentException($"An argument or environment entry contains NUL: '{text.Replace("\0", "\\0")}'.");
        nint pointer = Marshal.StringToCoTaskMemUTF8(text);
        owned.Add(pointer);
        return (byte*)pointer;
    }

    private static void Check(int result, string call)
    {
        if (result != 0)
            throw result == ENOMEM
                ? new LiveUpdateOutOfMemoryException(KernelOperation.InspectFile, result, $"{call}: out of memory while preparing to start a process. Free memory and retry.")
                : new LiveUpdateSystemException(KernelOperation.InspectFile, result, $"{call} failed: {Marshal.GetPInvokeErrorMessage(result)} (errno {result}).");
    }

    private static LiveUpdateException DuplicateFailed(int errno, int index) => errno switch
    {
        EBADF => new InvalidLiveUpdateArgumentException(KernelOperation.InspectFile, errno,
            $"descriptor {index} to pass is not open; keep every handle open until Spawn returns."),
        EMFILE or EINVAL => new LiveUpdateSystemException(KernelOperation.InspectFile, errno,
            $"cannot duplicate descriptor {index} to a number ≥ {HighDescriptorFloor} ({Marshal.GetPInvokeErrorMessage(errno)}): this process's open-file limit (RLIMIT_NOFILE) is too low or exhausted. Raise it ('ulimit -n 4096', LimitNOFILE=) or close descriptors."),
        _ => new LiveUpdateSystemException(KernelOperation.InspectFile, errno,
            $"cannot duplicate descriptor {index} to pass it: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})."),
    };

    private static LiveUpdateException SpawnFailed(int errno, string program) => errno switch
    {
        ENOENT => new InvalidLiveUpdateArgumentException(KernelOperation.InspectFile, errno,
            $"cannot start {program}: it does not exist (or its interpreter/dynamic loader does not). Check the path and that the program is installed."),
        EACCES or EPERM => new LiveUpdatePermissionException(KernelOperation.InspectFile, errno,
            $"cannot start {program}: permission denied. Make it executable (chmod +x) and check the filesystem is not mounted noexec."),
        ENOEXEC => new InvalidLiveUpdateArgumentException(KernelOperation.InspectFile, errno,
            $"cannot start {program}: not an executable format this kernel runs (wrong architecture, or a script without '#!')."),
        ENOMEM => new LiveUpdateOutOfMemoryException(KernelOperation.InspectFile, errno,
            $"cannot start {program}: out of memory. Free memory and retry."),
        EAGAIN => new LiveUpdateSystemException(KernelOperation.InspectFile, errno,
            $"cannot start {program}: the process limit (RLIMIT_NPROC or pids.max) is reached. Let other processes finish or raise the limit."),
        EMFILE => new LiveUpdateSystemException(KernelOperation.InspectFile, errno,
            $"cannot start {program}: too many open files (RLIMIT_NOFILE). Close descriptors or raise the limit."),
        _ => new LiveUpdateSystemException(KernelOperation.InspectFile, errno,
            $"cannot start {program}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})."),
    };
}

/// <summary>A child started by <see cref="ChildProcessSpawner"/>: signal it, await its exit (this process reaps it).</summary>
public sealed class SpawnedProcess : IDisposable
{
    private const int ESRCH = 3;
    private readonly Lock _gate = new();
    private readonly PidFd? _pidFd;
    private int? _exitCode;

    internal SpawnedProcess(int pid, string program)
    {
        Id = pid;
        Program = program;
        long fd = LibC.Syscall5(LibC.SYS_pidfd_open, pid, 0, 0, 0, 0);
        _pidFd = fd >= 0 ? new PidFd((int)fd) : null; // pre-5.3 kernels: WaitForExitAsync polls instead
    }

    public int Id { get; }

    public string Program { get; }

    /// <summary>True once the child has exited and was reaped.</summary>
    public bool HasExited => TryReap();

    /// <summary>Exit status once exited: the exit code, or 128+signal when a signal ended it; -1 when someone else reaped it.</summary>
    public int? ExitCode { get { TryReap(); return _exitCode; } }

    /// <summary>Sends SIGKILL (a no-op once the child was reaped).</summary>
    public void Kill() => Signal(LibC.SIGKILL);

    /// <summary>Sends SIGTERM (a no-op once the child was reaped).</summary>
    public void Terminate() => Signal(LibC.SIGTERM);

    private void Signal(int signal)
    {
        lock (_gate)
        {
            if (_exitCode is not null) return;
            if (LibC.Kill(Id, signal) != 0 && LibC.LastErrno is var errno && errno != ESRCH)
                throw new LiveUpdateSystemException(KernelOperation.InspectFile, errno,
                    $"cannot signal {Program} (pid {Id}): {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
        }
    }

    /// <summary>Completes with <see cref="ExitCode"/> once the child has exited.</summary>
    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken = default)
    {
        while (!TryReap())
        {
            if (_pidFd is not null)
                await FileDescriptorReadiness.Shared.WaitReadableAsync(_pidFd, cancellationToken).ConfigureAwait(false);
            else
                await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
        return _exitCode!.Value;
    }

    private unsafe bool TryReap()
    {
        lock (_gate)
        {
            if (_exitCode is not null) return true;
            int status;
            int reaped = LibC.WaitPid(Id, &status, LibC.WNOHANG);
            if (reaped == 0) return false;
            if (reaped < 0)
            {
                int errno = LibC.LastErrno;
                if (errno == EINTR) return false;
                _exitCode = -1; // ECHILD: already reaped elsewhere; the status is gone
                return true;
            }
            int signal = status & 0x7f;
            _exitCode = signal == 0 ? (status >> 8) & 0xff : 128 + signal;
            return true;
        }
    }

    public void Dispose() => _pidFd?.Dispose();

    private sealed class PidFd(int fd) : FileDescriptorHandle(fd);
}
