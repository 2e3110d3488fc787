// FakeLogind: org.freedesktop.login1's Manager as far as luod uses it — InhibitDelayMaxUSec,
// Inhibit (each lock a pipe whose write end luod gets: the lock is released when luod closes
// it, seen here as end of file on the read end) and the PrepareForShutdown signals a test emits.
using System.IO.Pipes;
using Tmds.DBus.Protocol;
using LiveUpdate.Daemon.Systemd;

namespace LiveUpdate.Daemon.Tests;

public sealed class FakeLogind : IPathMethodHandler
{
    public sealed record Inhibitor(string What, string Who, string Why, string Mode, Task Released);

    private readonly List<Inhibitor> _inhibitors = [];

    public ulong InhibitDelayMaxUSec { get; set; } = 5_000_000;

    /// <summary>Runs when a lock is released (on the reader's thread), to capture luod's state at that moment.</summary>
    public Action? OnReleased { get; set; }

    public DBusConnection? Connection { get; set; }

    public IReadOnlyList<Inhibitor> Inhibitors { get { lock (_inhibitors) return [.. _inhibitors]; } }

    public string Path => ShutdownInhibitor.ManagerPath;

    public bool HandlesChildPaths => false;

    /// <summary>Waits until luod has taken <paramref name="count"/> locks in all.</summary>
    public async Task<Inhibitor> WaitForInhibitorAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Inhibitors.Count < count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"luod took {Inhibitors.Count} delay lock(s), expected {count}");
            await Task.Delay(20);
        }
        return Inhibitors[count - 1];
    }

    /// <summary>What logind sends when a shutdown starts (true) or is cancelled (false): with metadata first, then the plain signal.</summary>
    public void EmitPrepareForShutdown(bool start, string type)
    {
        using (var writer = Connection!.GetMessageWriter())
        {
            writer.WriteSignalHeader(null, Path, ShutdownInhibitor.ManagerInterface, "PrepareForShutdownWithMetadata", "ba{sv}");
            writer.WriteBool(start);
            writer.WriteDictionary(new Dictionary<string, VariantValue> { ["type"] = VariantValue.String(type) });
            Connection.TrySendMessage(writer.CreateMessage());
        }
        using (var writer = Connection.GetMessageWriter())
        {
            writer.WriteSignalHeader(null, Path, ShutdownInhibitor.ManagerInterface, "PrepareForShutdown", "b");
            writer.WriteBool(start);
            Connection.TrySendMessage(writer.CreateMessage());
        }
    }

    public ValueTask HandleMethodAsync(MethodContext context)
    {
        var request = context.Request;
        switch (request.InterfaceAsString, request.MemberAsString)
        {
            case ("org.freedesktop.DBus.Properties", "Get"):
            {
                using var writer = context.CreateReplyWriter("v");
                writer.WriteVariant(VariantValue.UInt64(InhibitDelayMaxUSec));
                context.Reply(writer.CreateMessage());
                break;
            }
            case (ShutdownInhibitor.ManagerInterface, "Inhibit"):
            {
                var reader = request.GetBodyReader();
                string what = reader.ReadString(), who = reader.ReadString(), why = reader.ReadString(), mode = reader.ReadString();
                var pipe = new AnonymousPipeServerStream(PipeDirection.In, System.IO.HandleInheritability.None);
                var released = Task.Run(async () =>
                {
                    using (pipe)
                    {
                        byte[] buffer = new byte[1];
                        while (await pipe.ReadAsync(buffer) > 0) { }
                    }
                    OnReleased?.Invoke();
                });
                lock (_inhibitors) _inhibitors.Add(new Inhibitor(what, who, why, mode, released));
                using var writer = context.CreateReplyWriter("h");
                writer.WriteHandle(pipe.ClientSafePipeHandle); // sent with the reply, then closed here: luod's copy is the only writer
                context.Reply(writer.CreateMessage());
                break;
            }
            default:
                context.ReplyUnknownMethodError();
                break;
        }
        return ValueTask.CompletedTask;
    }
}
