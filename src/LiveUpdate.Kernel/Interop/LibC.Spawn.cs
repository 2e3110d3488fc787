// LibC.Spawn: the calls ChildProcessSpawner needs to start a program with chosen
// descriptors at chosen numbers (posix_spawn with dup2 file actions, as systemd hands
// LISTEN_FDS to a service), to signal it, and to wait for it (pidfd + waitpid). The
// opaque glibc types are allocated by the caller with the sizes below (x86_64 glibc,
// rounded up generously).
using System.Runtime.InteropServices;

namespace LiveUpdate.Kernel.Interop;

internal static unsafe partial class LibC
{
    /// <summary>sizeof(posix_spawn_file_actions_t) is 80 on x86_64 glibc; room to spare.</summary>
    public const int SpawnFileActionsSize = 128;

    /// <summary>sizeof(posix_spawnattr_t) is 336 on x86_64 glibc; room to spare.</summary>
    public const int SpawnAttributesSize = 512;

    /// <summary>sizeof(sigset_t) on glibc (1024 bits).</summary>
    public const int SignalSetSize = 128;

    public const short POSIX_SPAWN_SETSIGDEF = 0x04;
    public const short POSIX_SPAWN_SETSIGMASK = 0x08;

    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int WNOHANG = 1;

    public const long SYS_pidfd_open = 434;

    [LibraryImport(Lib, EntryPoint = "posix_spawn")]
    public static partial int PosixSpawn(int* pid, byte* path, void* fileActions, void* attributes, byte** argv, byte** envp);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_init")]
    public static partial int PosixSpawnFileActionsInit(void* fileActions);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_adddup2")]
    public static partial int PosixSpawnFileActionsAddDup2(void* fileActions, int fd, int newFd);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_destroy")]
    public static partial int PosixSpawnFileActionsDestroy(void* fileActions);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_init")]
    public static partial int PosixSpawnAttrInit(void* attributes);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_setflags")]
    public static partial int PosixSpawnAttrSetFlags(void* attributes, short flags);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_setsigmask")]
    public static partial int PosixSpawnAttrSetSigMask(void* attributes, void* signalSet);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_setsigdefault")]
    public static partial int PosixSpawnAttrSetSigDefault(void* attributes, void* signalSet);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_destroy")]
    public static partial int PosixSpawnAttrDestroy(void* attributes);

    [LibraryImport(Lib, EntryPoint = "sigemptyset")]
    public static partial int SigEmptySet(void* signalSet);

    [LibraryImport(Lib, EntryPoint = "sigfillset")]
    public static partial int SigFillSet(void* signalSet);

    [LibraryImport(Lib, EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport(Lib, EntryPoint = "waitpid", SetLastError = true)]
    public static partial int WaitPid(int pid, int* status, int options);
}
