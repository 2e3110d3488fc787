// LuodKernelErrorException: luod answered io.liveupdate.KernelError — the kernel refused an operation luod made for the caller.
// Its parameters are read as the generated io.liveupdate record KernelError.
using System.Text.Json.Nodes;
using LiveUpdate.Protocol;

namespace LiveUpdate.Client.Errors;

public sealed class LuodKernelErrorException : LiveUpdateClientException
{
    public const string Name = LiveUpdateProtocol.Errors.KernelError;

    public LuodKernelErrorException(JsonObject parameters, Exception? innerException = null)
        : this(Read(parameters), parameters, innerException)
    {
    }

    private LuodKernelErrorException(KernelError e, JsonObject parameters, Exception? innerException)
        : base($"The kernel refused {e.Operation} (errno {e.Errno}): {e.Message}. See `journalctl -u luod` and `dmesg` for details.", Name, parameters, innerException)
    {
        Operation = e.Operation;
        Errno = (int)e.Errno;
        KernelMessage = e.Message;
    }

    /// <summary>The kernel operation that failed (a LiveUpdate.Kernel.KernelOperation name).</summary>
    public string Operation { get; }

    public int Errno { get; }

    /// <summary>luod's description of the kernel failure.</summary>
    public string KernelMessage { get; }

    /// <summary>The parameters as luod sent them; empty values when they do not have the declared shape.</summary>
    private static KernelError Read(JsonObject parameters) =>
        ParametersAs(parameters, LiveUpdateProtocolJson.Default.KernelError) ?? new KernelError { Operation = "", Errno = 0, Message = "" };
}
