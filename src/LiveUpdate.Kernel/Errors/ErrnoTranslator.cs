// ErrnoTranslator: turns (operation, errno) into the typed exception whose message names
// the cause and the fix. The meanings follow kernel/liveupdate/luo_{core,session,file}.c
// and mm/memfd_luo.c of Linux 7.2/7.3.
using System.Runtime.InteropServices;
using static LiveUpdate.Kernel.Interop.Errno;

namespace LiveUpdate.Kernel.Errors;

internal static class ErrnoTranslator
{
    public static LiveUpdateException Translate(KernelOperation operation, int errno, string subject)
    {
        string kernelText = $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";
        return (operation, errno) switch
        {
            (KernelOperation.OpenDevice, ENOENT or ENODEV) => new LiveUpdateUnavailableException(operation, errno,
                $"{subject} does not exist: this kernel has no Live Update Orchestrator. Boot a kernel built with CONFIG_LIVEUPDATE=y and CONFIG_KEXEC_HANDOVER=y with 'kho=on liveupdate=on' on its command line."),
            (KernelOperation.OpenDevice, EBUSY) => DeviceBusy(errno, subject),
            (KernelOperation.OpenDevice, EIO) => new DeserializationFailedException(errno,
                $"{subject}: the kernel could not restore the live update data handed over by the previous kernel (a file handler's ABI differs between the two kernels, or the data is damaged). The preserved sessions are lost; see 'dmesg | grep -i luo' and run a compatibility check before the next update."),
            (KernelOperation.CreateSession, EEXIST) => new DuplicateSessionException(operation, errno,
                $"A session named '{subject}' already exists. Choose another name, or close the existing session's fd first."),
            (KernelOperation.CreateSession, EINVAL) => new InvalidLiveUpdateArgumentException(operation, errno,
                $"The kernel rejected the session name '{subject}': it must be 1 to 63 bytes without NUL."),
            (KernelOperation.RetrieveSession, ENOENT) => new SessionNotFoundException(errno,
                $"No session named '{subject}' was handed over by the previous kernel. It was never preserved, its fd was closed before the reboot, or it was already finished."),
            (KernelOperation.RetrieveSession, EINVAL) => new DuplicateSessionException(operation, errno,
                $"The session '{subject}' has already been retrieved in this boot; use the fd that was returned then."),
            (KernelOperation.PreserveFd, EEXIST) => new DuplicateTokenException(errno,
                $"{subject}: the token is already used in this session. Each preserved file needs its own token."),
            (KernelOperation.PreserveFd, EBUSY) => new DuplicateTokenException(errno,
                $"{subject}: this file is already preserved (in this or another session). A file can be preserved once."),
            (KernelOperation.PreserveFd, ENOENT) => new UnsupportedFileTypeException(errno,
                $"{subject}: no live update handler accepts this kind of file. In Linux 7.2/7.3 only memfds (not hugetlb, not linked into a filesystem) can be preserved; put the data in a memfd."),
            (KernelOperation.PreserveFd, EBADF) => new InvalidLiveUpdateArgumentException(operation, errno,
                $"{subject}: the file descriptor is not open."),
            (KernelOperation.PreserveFd, EOPNOTSUPP) => new UnsupportedFileTypeException(errno,
                $"{subject}: the file has a property the handler cannot preserve (a seal the kernel's memfd handler does not know, or a hugetlb memfd). Use a plain memfd with seals limited to F_SEAL_SEAL|SHRINK|GROW|WRITE|FUTURE_WRITE."),
            (KernelOperation.PreserveFd, EINVAL) => new InvalidLiveUpdateArgumentException(operation, errno,
                $"{subject}: files can only be preserved in a session created in this boot, not in one retrieved from the previous kernel."),
            (KernelOperation.PreserveFd or KernelOperation.CreateSession, EFBIG or ENOSPC or E2BIG) => new PreservationTooLargeException(operation, errno,
                $"{subject}: too large to preserve ({kernelText}). Split the data over several memfds or sessions."),
            (KernelOperation.CreateSession or KernelOperation.RetrieveSession or KernelOperation.RetrieveFd, EMFILE or ENFILE) => new LiveUpdateSystemException(operation, errno,
                $"{subject}: the kernel could not give this process a new file descriptor ({kernelText}): every session is one open fd in the process that holds /dev/liveupdate (luod), and it has reached {(errno == EMFILE ? "its open-file limit (RLIMIT_NOFILE)" : "the system's limit (fs.file-max)")}. Finish or release sessions no longer needed, or raise the limit (LimitNOFILE= in luod's unit, ulimit -n). The kernel's own limit is far higher (510,000 sessions in Linux 7.2/7.3)."),
            (KernelOperation.RetrieveFd, ENOENT) => new TokenNotFoundException(errno,
                $"{subject}: no file with this token was preserved in the session. Check the token recorded before the reboot."),
            (KernelOperation.RetrieveFd, EINVAL) => new InvalidLiveUpdateArgumentException(operation, errno,
                $"{subject}: files can only be retrieved from a session retrieved from the previous kernel, not from one created in this boot."),
            (KernelOperation.FinishSession, EINVAL) => new InvalidLiveUpdateArgumentException(operation, errno,
                $"{subject}: only a session retrieved from the previous kernel can be finished."),
            (KernelOperation.FinishSession, EBUSY) => new SessionBusyException(errno,
                $"{subject}: a preserved file cannot be released yet; retrieve every file of the session before FINISH, then try again."),
            (KernelOperation.KexecLoad, ENOEXEC) => new KexecLoadException(operation, errno,
                $"{subject} is not a kernel image kexec_file_load can boot ({kernelText}): the x86 loader refused its boot header (no 0xAA55 boot flag, boot protocol older than 2.12, not a 64-bit bzImage, built without CONFIG_RELOCATABLE so XLF_CAN_BE_LOADED_ABOVE_4G is unset, or truncated before its setup code ends; 'dmesg' names which). Use the next kernel's intact, relocatable bzImage."),
            (KernelOperation.KexecLoad, EKEYREJECTED) => new KexecLoadException(operation, errno,
                $"{subject}: the kernel's signature was rejected (kexec signature enforcement or lockdown is on). Sign the image with a key the running kernel trusts."),
            (KernelOperation.KexecLoad, EBUSY) => new KexecLoadException(operation, errno,
                $"{subject}: another kexec load is in progress; retry when it is done."),
            (KernelOperation.KexecLoad, EINVAL) => new KexecLoadException(operation, errno,
                $"{subject}: the kernel rejected the load ({kernelText}); check the image, the initrd and that the command line is shorter than the kernel's limit."),
            (KernelOperation.KexecLoad, EFBIG) => new KexecLoadException(operation, errno,
                $"{subject}: the kernel image or the initrd is larger than kexec_file_load reads (KEXEC_FILE_SIZE_MAX, 4 GiB); use a smaller one."),
            (KernelOperation.KexecLoad, EADDRNOTAVAIL) => new KexecLoadException(operation, errno,
                $"{subject}: the kernel found no place for a segment of the next kernel or its initrd ({kernelText}). With kho=on every segment must lie whole inside one KHO scratch area (their sizes are on the command line as kho_scratch=, or 200 % of what the kernel reserved at boot; 'dmesg | grep KHO' shows them), so an initrd larger than the largest area cannot be staged even when memory is free. Use a smaller initrd, or boot with larger kho_scratch= areas."),
            (KernelOperation.KexecLoad, ENOMEM) => new KexecLoadException(operation, errno,
                $"{subject}: the kernel ran out of memory staging the next kernel and its initrd ({kernelText}): kexec_file_load reads each file whole into kernel memory and copies it into pages of its own. Free memory, or use a smaller initrd."),
            (KernelOperation.PreserveFd, ENOMEM) => new LiveUpdateOutOfMemoryException(operation, errno,
                $"{subject}: the kernel could not allocate what preserving this file needs ({kernelText}). A memfd is preserved by pinning every page up to its size, holes included (a sparse memfd is filled), and its page list must fit one kernel allocation (at most 2 GiB of pointers: a memfd of 1 TiB or more always fails). Preserve a smaller memfd, or split the data over several."),
            (KernelOperation.KexecLoad, ENOSYS) => new KexecLoadException(operation, errno,
                "kexec_file_load is not available: the running kernel lacks CONFIG_KEXEC_FILE. Live update needs the in-kernel kexec loader."),
            (KernelOperation.SocketSend or KernelOperation.SocketReceive, EPIPE or ECONNRESET) => new PeerDisconnectedException(operation, errno,
                $"{subject}: the peer closed the connection ({kernelText}). Reconnect; whatever the peer had not read yet is lost."),
            (KernelOperation.SocketSend, EBADF) => new InvalidLiveUpdateArgumentException(operation, errno,
                $"{subject}: the socket or one of the file descriptors to send is not open. Keep every handle open until the send completes."),
            (KernelOperation.SocketSend or KernelOperation.SocketReceive or KernelOperation.PeerCredentials or KernelOperation.WaitForReadiness, EBADF or ENOTSOCK) => new InvalidLiveUpdateArgumentException(operation, errno,
                $"{subject}: the handle is not an open socket. Pass a connected AF_UNIX stream socket."),
            (KernelOperation.SocketSend or KernelOperation.SocketReceive or KernelOperation.PeerCredentials, ENOTCONN) => new InvalidLiveUpdateArgumentException(operation, errno,
                $"{subject}: the socket is not connected. Connect it (or accept the connection) first."),
            (KernelOperation.SocketSend, ETOOMANYREFS) => new LiveUpdateSystemException(operation, errno,
                $"{subject}: too many file descriptors are in flight on Unix sockets for this user (the kernel bounds them by RLIMIT_NOFILE). Let the receiver read its queued messages, or send fewer descriptors at once."),
            (KernelOperation.SocketSend, EINVAL) => new InvalidLiveUpdateArgumentException(operation, errno,
                $"{subject}: the kernel rejected the message ({kernelText}); one message carries at most {Interop.LibC.SCM_MAX_FD} file descriptors."),
            (KernelOperation.SocketPair or KernelOperation.WaitForReadiness, EMFILE) => new LiveUpdateSystemException(operation, errno,
                $"{subject}: this process has too many open files (RLIMIT_NOFILE). Close descriptors you no longer need, or raise the limit (ulimit -n / LimitNOFILE=)."),
            (_, EPERM or EACCES) => new LiveUpdatePermissionException(operation, errno,
                $"{subject}: permission denied ({kernelText}). Run as root (kexec needs CAP_SYS_BOOT; /dev/liveupdate is root-only by default)."),
            (_, ENOMEM) => new LiveUpdateOutOfMemoryException(operation, errno,
                $"{subject}: the kernel is out of memory for this operation. Free memory or preserve less."),
            (_, ENOTTY) => new LiveUpdateSystemException(operation, errno,
                $"{subject}: the kernel does not know this ioctl ({kernelText}); the running kernel's Live Update uAPI is older than the one LiveUpdate was built for (Linux 7.2)."),
            (_, E2BIG) => new LiveUpdateSystemException(operation, errno,
                $"{subject}: the kernel rejected an ioctl struct with fields it does not understand ({kernelText}); LiveUpdate and the kernel disagree on the uAPI."),
            _ => new LiveUpdateSystemException(operation, errno, $"{operation} on {subject} failed: {kernelText}."),
        };
    }

    private static DeviceBusyException DeviceBusy(int errno, string devicePath)
    {
        var holder = DeviceHolderLookup.Find(devicePath);
        string who = holder is { } h
            ? $"process {h.Pid} ({h.Name}{(h.Pid == Environment.ProcessId ? ", this process" : "")}) holds it"
            : "another process holds it (run as root to see which: 'fuser " + devicePath + "')";
        return new DeviceBusyException(errno,
            $"{devicePath} is already open and can be opened by one process only: {who}. Stop that process, or let it (luod) manage the sessions.",
            holder?.Pid, holder?.Name);
    }
}
