// FakeSystemdManager: org.freedesktop.systemd1's Manager object as far as luod uses it —
// Properties.GetAll (Version, and KExecCount — systemd 262.1's name — and the previous-shutdown timestamps when set)
// and StartUnit, whose calls are recorded (with what the test wants to capture at that moment)
// and which fails with a D-Bus error when told to.
using Tmds.DBus.Protocol;
using LiveUpdate.Daemon.Systemd;

namespace LiveUpdate.Daemon.Tests;

public sealed class FakeSystemdManager : IPathMethodHandler
{
    public string Version { get; set; } = "262";

    public uint? KexecsCount { get; set; }

    public ulong? PreviousShutdownStartUsec { get; set; }

    /// <summary>When set, StartUnit replies with this D-Bus error (name, message).</summary>
    public (string Name, string Message)? StartUnitError { get; set; }

    /// <summary>Runs in StartUnit before it replies, to capture luod's state at that moment.</summary>
    public Action? OnStartUnit { get; set; }

    public List<(string Unit, string Mode)> StartUnitCalls { get; } = [];

    public TaskCompletionSource StartUnitCalled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Path => SystemdManagerClient.ManagerPath;

    public bool HandlesChildPaths => false;

    public ValueTask HandleMethodAsync(MethodContext context)
    {
        var request = context.Request;
        switch (request.InterfaceAsString, request.MemberAsString)
        {
            case ("org.freedesktop.DBus.Properties", "GetAll"):
            {
                var properties = new Dictionary<string, VariantValue> { ["Version"] = VariantValue.String(Version) };
                if (KexecsCount is { } count) properties["KExecCount"] = VariantValue.UInt32(count);
                if (PreviousShutdownStartUsec is { } start) properties["PreviousShutdownStartTimestamp"] = VariantValue.UInt64(start);
                using var writer = context.CreateReplyWriter("a{sv}");
                writer.WriteDictionary(properties);
                context.Reply(writer.CreateMessage());
                break;
            }
            case (SystemdManagerClient.ManagerInterface, "StartUnit"):
            {
                var reader = request.GetBodyReader();
                string unit = reader.ReadString(), mode = reader.ReadString();
                lock (StartUnitCalls) StartUnitCalls.Add((unit, mode));
                OnStartUnit?.Invoke();
                if (StartUnitError is { } error) context.ReplyError(error.Name, error.Message);
                else
                {
                    using var writer = context.CreateReplyWriter("o");
                    writer.WriteObjectPath("/org/freedesktop/systemd1/job/42");
                    context.Reply(writer.CreateMessage());
                }
                StartUnitCalled.TrySetResult();
                break;
            }
            default:
                context.ReplyUnknownMethodError();
                break;
        }
        return ValueTask.CompletedTask;
    }
}
