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
}
