// LiveUpdateUapi: a mirror of include/uapi/linux/liveupdate.h (Linux 7.2/7.3). Every
// struct starts with its u32 size; layouts and sizes are checked by unit tests against
// the C definitions so an ABI drift fails the build's tests, not a production host.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LiveUpdate.Kernel.Interop;

internal static class LiveUpdateUapi
{
    public const uint IoctlType = 0xBA;
    public const int SessionNameLength = 64;

    public const uint CmdCreateSession = 0x00;
    public const uint CmdRetrieveSession = 0x01;
    public const uint CmdSessionPreserveFd = 0x40;
    public const uint CmdSessionRetrieveFd = 0x41;
    public const uint CmdSessionFinish = 0x42;
    public const uint CmdSessionGetName = 0x43;

    public static readonly uint IoctlCreateSession = IoctlNumber.Io(IoctlType, CmdCreateSession);
    public static readonly uint IoctlRetrieveSession = IoctlNumber.Io(IoctlType, CmdRetrieveSession);
    public static readonly uint SessionPreserveFd = IoctlNumber.Io(IoctlType, CmdSessionPreserveFd);
    public static readonly uint SessionRetrieveFd = IoctlNumber.Io(IoctlType, CmdSessionRetrieveFd);
    public static readonly uint SessionFinish = IoctlNumber.Io(IoctlType, CmdSessionFinish);
    public static readonly uint SessionGetName = IoctlNumber.Io(IoctlType, CmdSessionGetName);
}

/// <summary>__u8 name[LIVEUPDATE_SESSION_NAME_LENGTH].</summary>
[InlineArray(LiveUpdateUapi.SessionNameLength)]
internal struct SessionNameBytes
{
    private byte _first;
}

/// <summary>struct liveupdate_ioctl_create_session and liveupdate_ioctl_retrieve_session (same layout).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SessionIoctlArgs
{
    public uint Size;
    public int Fd;
    public SessionNameBytes Name;
}

/// <summary>struct liveupdate_session_preserve_fd and liveupdate_session_retrieve_fd (same layout).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SessionFdArgs
{
    public uint Size;
    public int Fd;
    public ulong Token; // __aligned_u64: offset 8
}

/// <summary>struct liveupdate_session_finish.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SessionFinishArgs
{
    public uint Size;
    public uint Reserved;
}

/// <summary>struct liveupdate_session_get_name.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SessionGetNameArgs
{
    public uint Size;
    public uint Reserved;
    public SessionNameBytes Name;
}
