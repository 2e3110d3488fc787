// LuodKernelErrorException: luod answered io.liveupdate.KernelError — the kernel refused an operation luod made for the caller.
using System.Text.Json.Nodes;

namespace LiveUpdate.Client.Errors;

public sealed class LuodKernelErrorException : LiveUpdateClientException
{
    public const string Name = LiveUpdate.Protocol.LiveUpdateProtocol.Errors.KernelError;

    public LuodKernelErrorException(JsonObject parameters, Exception? innerException = null)
        : base(Describe(parameters), Name, parameters, innerException)
    {
        Operation = Text(parameters, "operation");
        Errno = (int)Number(parameters, "errno");
        KernelMessage = Text(parameters, "message");
    }

    /// <summary>The kernel operation that failed (a LiveUpdate.Kernel.KernelOperation name).</summary>
    public string Operation { get; }

    public int Errno { get; }

    /// <summary>luod's description of the kernel failure.</summary>
    public string KernelMessage { get; }

    private static string Describe(JsonObject p) =>
        $"The kernel refused {Text(p, "operation")} (errno {Number(p, "errno")}): {Text(p, "message")}. See `journalctl -u luod` and `dmesg` for details.";
}
