// KernelOperation: names the system call an error came from, so one errno can be
// explained differently by context (ENOENT means "unknown session" on RETRIEVE_SESSION
// but "no handler for this file type" on PRESERVE_FD).
namespace LiveUpdate.Kernel;

public enum KernelOperation
{
    OpenDevice,
    CreateSession,
    RetrieveSession,
    PreserveFd,
    RetrieveFd,
    FinishSession,
    GetSessionName,
    MemFd,
    KexecLoad,
    KexecUnload,
    RebootKexec,
    SocketSend,
    SocketReceive,
    SocketPair,
    PeerCredentials,
    InspectFile,
    WaitForReadiness,
}
