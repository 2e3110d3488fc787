// FileErrors: a failure of the process's own file I/O (luod writing its custody record, say) read
// as the errno behind it, at the kernel boundary where every errno is explained. Running out of
// file descriptors gets the words ErrnoTranslator has for the kernel's own EMFILE/ENFILE (the same
// limit, the same fix), so no caller has to recognise .NET's message text.
using static LiveUpdate.Kernel.Interop.Errno;

namespace LiveUpdate.Kernel.Errors;

public static class FileErrors
{
    /// <summary>
    /// <paramref name="error"/> (from file I/O during <paramref name="operation"/>) as a typed exception about
    /// <paramref name="subject"/>: the open-file limit explained for EMFILE/ENFILE, otherwise <paramref name="subject"/>
    /// followed by <paramref name="otherwise"/>. .NET on Linux carries the errno of such an IOException in its HResult.
    /// </summary>
    public static LiveUpdateException Translate(KernelOperation operation, Exception error, string subject, string otherwise)
    {
        int errno = error is IOException { HResult: > 0 and < 4096 } io ? io.HResult : 0;
        return errno is EMFILE or ENFILE
            ? ErrnoTranslator.Translate(operation, errno, subject)
            : new LiveUpdateSystemException(operation, errno, $"{subject}. {otherwise}");
    }
}
