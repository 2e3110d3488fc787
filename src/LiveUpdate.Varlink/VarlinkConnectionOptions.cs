// VarlinkConnectionOptions: the limits one Varlink connection enforces on what it receives.
// A peer that exceeds them is cut off, so a misbehaving client cannot make luod buffer
// without bound or hand it more descriptors than it is willing to hold.
using LiveUpdate.Kernel;

namespace LiveUpdate.Varlink;

public sealed record VarlinkConnectionOptions
{
    /// <summary>16 MiB, as sd-varlink's VARLINK_BUFFER_MAX.</summary>
    public const int DefaultMaxMessageSize = 16 << 20;

    public static VarlinkConnectionOptions Default { get; } = new();

    /// <summary>The largest message accepted or sent, in bytes of JSON (the terminating NUL not counted).</summary>
    public int MaxMessageSize { get; init; } = DefaultMaxMessageSize;

    /// <summary>
    /// How many descriptors one received message may carry. The default is the kernel's own
    /// per-sendmsg maximum (SCM_MAX_FD, 253), so the kernel never has to drop any for lack of room.
    /// </summary>
    public int MaxFileDescriptorsPerMessage { get; init; } = UnixSocketMessaging.MaxFileDescriptorsPerMessage;

    internal void Validate()
    {
        if (MaxMessageSize < 2)
            throw new ArgumentOutOfRangeException(nameof(MaxMessageSize), MaxMessageSize, "A Varlink message needs at least 2 bytes ('{}'); set MaxMessageSize to a sensible limit such as the default 16 MiB.");
        if (MaxMessageSize > Array.MaxLength - 1)
            throw new ArgumentOutOfRangeException(nameof(MaxMessageSize), MaxMessageSize, $"MaxMessageSize must be below {Array.MaxLength}.");
        if (MaxFileDescriptorsPerMessage is < 0 or > UnixSocketMessaging.MaxFileDescriptorsPerMessage)
            throw new ArgumentOutOfRangeException(nameof(MaxFileDescriptorsPerMessage), MaxFileDescriptorsPerMessage,
                $"MaxFileDescriptorsPerMessage must be between 0 and {UnixSocketMessaging.MaxFileDescriptorsPerMessage} (the kernel's SCM_MAX_FD).");
    }
}
