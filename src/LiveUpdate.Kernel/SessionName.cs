// SessionName: a Live Update session name checked the way the kernel checks it
// (luo_session_create: 1..LIVEUPDATE_SESSION_NAME_LENGTH-1 bytes, NUL-terminated), but
// before the ioctl, so a bad name fails with a precise message and no syscall.
using System.Diagnostics.CodeAnalysis;
using System.Text;
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Kernel.Interop;

namespace LiveUpdate.Kernel;

public readonly record struct SessionName
{
    /// <summary>Longest name in bytes (the uAPI's 64 minus the terminating NUL).</summary>
    public const int MaxBytes = LiveUpdateUapi.SessionNameLength - 1;

    private SessionName(string value) => Value = value;

    public string Value { get; }

    public override string ToString() => Value;

    public static SessionName Parse(string name, KernelOperation operation = KernelOperation.CreateSession)
    {
        if (!TryValidate(name, out string? problem))
            throw new InvalidLiveUpdateArgumentException(operation, 0, problem);
        return new SessionName(name);
    }

    public static bool TryValidate(string? name, [NotNullWhen(false)] out string? problem)
    {
        if (string.IsNullOrEmpty(name))
            problem = "A session name must not be empty.";
        else if (name.Contains('\0'))
            problem = $"The session name '{name.Replace("\0", "\\0")}' contains a NUL byte; the kernel would truncate it there.";
        else if (Encoding.UTF8.GetByteCount(name) is int bytes && bytes > MaxBytes)
            problem = $"The session name '{name}' is {bytes} bytes; the kernel accepts at most {MaxBytes} (64 including the terminating NUL). Use a shorter name.";
        else
            problem = null;
        return problem is null;
    }

    internal void CopyTo(ref SessionNameBytes destination)
    {
        Span<byte> span = destination;
        span.Clear();
        Encoding.UTF8.GetBytes(Value, span);
    }

    internal static string FromBytes(in SessionNameBytes source)
    {
        ReadOnlySpan<byte> span = source;
        int end = span.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? span : span[..end]);
    }
}
