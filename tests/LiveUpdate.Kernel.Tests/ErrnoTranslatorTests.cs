// ErrnoTranslatorTests: one errno means different things on different ioctls; each
// (operation, errno) pair the kernel returns must become the exception a caller can act on.
using LiveUpdate.Kernel.Errors;
using static LiveUpdate.Kernel.Interop.Errno;

namespace LiveUpdate.Kernel.Tests;

public class ErrnoTranslatorTests
{
    public static TheoryData<KernelOperation, int, Type> Cases => new()
    {
        { KernelOperation.OpenDevice, ENOENT, typeof(LiveUpdateUnavailableException) },
        { KernelOperation.OpenDevice, EBUSY, typeof(DeviceBusyException) },
        { KernelOperation.OpenDevice, EIO, typeof(DeserializationFailedException) },
        { KernelOperation.CreateSession, EEXIST, typeof(DuplicateSessionException) },
        { KernelOperation.CreateSession, EINVAL, typeof(InvalidLiveUpdateArgumentException) },
        { KernelOperation.RetrieveSession, ENOENT, typeof(SessionNotFoundException) },
        { KernelOperation.RetrieveSession, EINVAL, typeof(DuplicateSessionException) },
        { KernelOperation.PreserveFd, ENOENT, typeof(UnsupportedFileTypeException) },
        { KernelOperation.PreserveFd, EOPNOTSUPP, typeof(UnsupportedFileTypeException) },
        { KernelOperation.PreserveFd, EEXIST, typeof(DuplicateTokenException) },
        { KernelOperation.PreserveFd, EBUSY, typeof(DuplicateTokenException) },
        { KernelOperation.PreserveFd, EFBIG, typeof(PreservationTooLargeException) },
        { KernelOperation.PreserveFd, ENOSPC, typeof(PreservationTooLargeException) },
        { KernelOperation.PreserveFd, EINVAL, typeof(InvalidLiveUpdateArgumentException) },
        { KernelOperation.PreserveFd, ENOMEM, typeof(LiveUpdateOutOfMemoryException) },
        { KernelOperation.RetrieveFd, ENOENT, typeof(TokenNotFoundException) },
        { KernelOperation.RetrieveFd, EINVAL, typeof(InvalidLiveUpdateArgumentException) },
        { KernelOperation.FinishSession, EBUSY, typeof(SessionBusyException) },
        { KernelOperation.KexecLoad, ENOEXEC, typeof(KexecLoadException) },
        { KernelOperation.KexecLoad, EKEYREJECTED, typeof(KexecLoadException) },
        { KernelOperation.KexecLoad, EPERM, typeof(LiveUpdatePermissionException) },
        { KernelOperation.KexecLoad, EADDRNOTAVAIL, typeof(KexecLoadException) },
        { KernelOperation.CreateSession, EMFILE, typeof(LiveUpdateSystemException) },
        { KernelOperation.RetrieveFd, ENFILE, typeof(LiveUpdateSystemException) },
        { KernelOperation.KexecLoad, ENOMEM, typeof(KexecLoadException) },
        { KernelOperation.CreateSession, ENOTTY, typeof(LiveUpdateSystemException) },
        { KernelOperation.FinishSession, EOVERFLOW, typeof(LiveUpdateSystemException) },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Maps_operation_and_errno_to_a_typed_exception(KernelOperation operation, int errno, Type expected)
    {
        var error = ErrnoTranslator.Translate(operation, errno, "subject");
        Assert.IsType(expected, error);
        Assert.Equal(errno, error.Errno);
        Assert.Equal(operation, error.Operation);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void Unsupported_file_type_says_what_to_use_instead()
    {
        var error = ErrnoTranslator.Translate(KernelOperation.PreserveFd, ENOENT, "session 'a', token 1");
        Assert.Contains("memfd", error.Message);
        Assert.Contains("token 1", error.Message);
    }

    [Fact]
    public void Missing_device_tells_how_to_boot()
    {
        var error = ErrnoTranslator.Translate(KernelOperation.OpenDevice, ENOENT, "/dev/liveupdate");
        Assert.Contains("kho=on liveupdate=on", error.Message);
    }

    [Fact]
    public void Kexec_load_without_a_place_names_the_kho_scratch_areas()
    {
        // Seen in the VM (fault-kexec-and-limits): a 768 MiB initrd with kho_scratch=128M,512M,256M.
        var error = ErrnoTranslator.Translate(KernelOperation.KexecLoad, EADDRNOTAVAIL, "kexec_file_load of /boot/vmlinuz");
        Assert.Contains("kho_scratch=", error.Message);
        Assert.Contains("initrd", error.Message);
    }

    [Fact]
    public void Kexec_load_of_a_damaged_boot_header_says_the_loader_refused_it()
    {
        // Seen in the VM (fault-kexec-and-limits): a bzImage whose 0xAA55 boot flag is zeroed.
        var error = ErrnoTranslator.Translate(KernelOperation.KexecLoad, ENOEXEC, "kexec_file_load of /tmp/corrupt-bzImage");
        Assert.Contains("0xAA55", error.Message);
        Assert.Contains("dmesg", error.Message);
    }

    [Fact]
    public void Preserve_out_of_memory_explains_that_a_memfd_is_pinned_whole()
    {
        // Seen in the VM (fault-kexec-and-limits): a 2 TiB sparse memfd, memfd_luo's folio array over kvmalloc's INT_MAX.
        var error = ErrnoTranslator.Translate(KernelOperation.PreserveFd, ENOMEM, "session 'too-big', token 1");
        Assert.IsType<LiveUpdateOutOfMemoryException>(error);
        Assert.Contains("holes included", error.Message);
        Assert.Contains("token 1", error.Message);
    }

    [Fact]
    public void Out_of_descriptors_on_create_session_names_the_open_file_limit_not_the_kernel()
    {
        var error = ErrnoTranslator.Translate(KernelOperation.CreateSession, EMFILE, "session 'a'");
        Assert.Contains("RLIMIT_NOFILE", error.Message);
        Assert.Contains("LimitNOFILE=", error.Message);
    }

    [Fact]
    public void A_file_write_at_the_open_file_limit_is_explained_as_the_kernel_s_own_EMFILE_and_any_other_failure_keeps_its_advice()
    {
        // .NET on Linux: an IOException from a syscall carries the errno in HResult.
        var limit = FileErrors.Translate(KernelOperation.CreateSession, new IOException("Too many open files", EMFILE), "session 'a' was not recorded", "Check the directory.");
        Assert.Equal(EMFILE, limit.Errno);
        Assert.Contains("RLIMIT_NOFILE", limit.Message);
        Assert.StartsWith("session 'a' was not recorded", limit.Message);

        var other = FileErrors.Translate(KernelOperation.CreateSession, new DirectoryNotFoundException("gone"), "session 'a' was not recorded", "Check the directory.");
        Assert.Equal(0, other.Errno); // not an errno: a .NET HRESULT
        Assert.Equal("session 'a' was not recorded. Check the directory.", other.Message);
    }
}
