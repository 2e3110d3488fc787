// SessionCommands: luoctl verbs over luod (through the SDK), so scripts can use luod without writing code:
// `sessions` (list), `preserve` (a file's bytes or an inherited fd into a managed session),
// `retrieve` (after kexec: a preserved file's bytes to a path), `finish`, `release`.
using System.Buffers;
using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using LiveUpdate.Client;
using LiveUpdate.Client.Errors;
using LiveUpdate.Kernel;
using LiveUpdate.Protocol;
using LiveUpdate.Varlink;
using Spectre.Console;

namespace LiveUpdate.Cli;

internal static class SessionCommands
{
    public static IEnumerable<Command> Create()
    {
        yield return Sessions();
        yield return Preserve();
        yield return Retrieve();
        yield return Simple("finish", "After a kexec: tell luod the session is restored; it calls FINISH and forgets it", (client, session, ct) => client.FinishAsync(session, ct));
        yield return Simple("release", "Before a kexec: give the session up (the kernel stops preserving it)", (client, session, ct) => client.ReleaseAsync(session, ct));
    }

    private static Command Sessions()
    {
        var socket = LuodConnection.SocketOption();
        var all = new Option<bool>("--all") { Description = "Every owner's sessions (root only)" };
        var json = new Option<bool>("--json") { Description = "Print luod's reply as JSON" };
        var command = new Command("sessions", "List the sessions luod holds for you") { socket, all, json };
        command.SetAction((parse, ct) => LuodConnection.RunAsync(parse.GetValue(socket)!, async client =>
        {
            var status = await client.GetStatusAsync(ct);
            var sessions = await client.ListSessionsAsync(parse.GetValue(all), ct);
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(SessionsJson(status, sessions));
                return;
            }
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumn("owner").AddColumn("session").AddColumn("mode").AddColumn("state").AddColumn("files").AddColumn("bytes").AddColumn("kernel name");
            foreach (var session in sessions)
            {
                string files = string.Join(", ", session.Files.Select(f => $"{f.Name}#{f.Token}"));
                table.AddRow(Markup.Escape(session.Owner.ToString(CultureInfo.InvariantCulture)), Markup.Escape(session.Name),
                    session.Mode.ToWireName(), session.State.ToWireName(), Markup.Escape(files),
                    session.PreservedBytes.ToString(CultureInfo.InvariantCulture), Markup.Escape(session.KernelName));
            }
            AnsiConsole.Write(table);
            if (status.CustodyLost)
                AnsiConsole.MarkupLine($"[red]custody lost:[/] {Markup.Escape(status.CustodyLostReason ?? "")}");
            if (status.Orphans is > 0 and var orphans)
                AnsiConsole.MarkupLine($"[yellow]{orphans} orphaned session(s)[/]: restored after the kexec but not claimed.");
        }, ct));
        return command;
    }

    private static Command Preserve()
    {
        var socket = LuodConnection.SocketOption();
        var session = new Option<string>("--session") { Description = "Session name (created as managed if it does not exist)", Required = true };
        var name = new Option<string>("--name") { Description = "Name of the file inside the session", Required = true };
        var file = new Option<FileInfo?>("--file") { Description = "Copy this file's bytes into a memfd and preserve it" };
        var fd = new Option<int?>("--fd") { Description = "Preserve this inherited memfd (e.g. --fd 3 3<&…)" };
        var command = new Command("preserve", "Preserve a file in a managed session held by luod") { socket, session, name, file, fd };
        command.Validators.Add(result =>
        {
            if (result.GetValue(file) is null == result.GetValue(fd) is null)
                result.AddError("Give exactly one of --file PATH or --fd N.");
        });
        command.SetAction((parse, ct) => LuodConnection.RunAsync(parse.GetValue(socket)!, async client =>
        {
            string sessionName = parse.GetValue(session)!;
            using SafeHandle handle = parse.GetValue(file) is { } path ? CopyToMemFd(path) : InheritedFileDescriptor.Adopt(parse.GetValue(fd)!.Value);
            if (!(await client.ListSessionsAsync(cancellationToken: ct)).Any(s => s.Name == sessionName))
                await client.CreateManagedSessionAsync(sessionName, cancellationToken: ct);
            var preserved = await client.PreserveAsync(sessionName, parse.GetValue(name)!, handle, ct);
            Console.Out.WriteLine($"preserved {preserved.Name} ({preserved.Bytes} bytes) in session {sessionName} as token {preserved.Token}");
        }, ct));
        return command;
    }

    private static Command Retrieve()
    {
        var socket = LuodConnection.SocketOption();
        var session = new Option<string>("--session") { Description = "Session name", Required = true };
        var name = new Option<string>("--name") { Description = "Name of the file inside the session", Required = true };
        var output = new Option<FileInfo>("--output") { Description = "Write the file's bytes here", Required = true };
        var command = new Command("retrieve", "After a kexec: claim a managed session and write one of its files out") { socket, session, name, output };
        command.SetAction((parse, ct) => LuodConnection.RunAsync(parse.GetValue(socket)!, async client =>
        {
            string sessionName = parse.GetValue(session)!, fileName = parse.GetValue(name)!;
            LocalFileException.CheckWritable(parse.GetValue(output)!, "--output"); // before the claim, not after it
            using var claimed = await client.ClaimManagedAsync(sessionName, ct);
            if (!claimed.Files.TryGetValue(fileName, out var memfd))
                throw new LuodSessionNotFoundException(VarlinkParameters.From(new SessionNotFoundError { Session = $"{sessionName}/{fileName}" },
                    LiveUpdateProtocolJson.Default.SessionNotFoundError));
            long size = memfd.Size;
            await using var target = LocalFileException.CreateToWrite(parse.GetValue(output)!, "--output");
            byte[] chunk = new byte[1 << 20];
            for (long offset = 0; offset < size;)
            {
                int read = memfd.Read(chunk, offset);
                if (read == 0) break;
                await target.WriteAsync(chunk.AsMemory(0, read), ct);
                offset += read;
            }
            Console.Out.WriteLine($"retrieved {fileName} ({size} bytes) from session {sessionName} to {parse.GetValue(output)!.FullName}");
        }, ct));
        return command;
    }

    private static Command Simple(string verb, string description, Func<LiveUpdateClient, string, CancellationToken, Task> call)
    {
        var socket = LuodConnection.SocketOption();
        var session = new Option<string>("--session") { Description = "Session name", Required = true };
        var command = new Command(verb, description) { socket, session };
        command.SetAction((parse, ct) => LuodConnection.RunAsync(parse.GetValue(socket)!, async client =>
        {
            await call(client, parse.GetValue(session)!, ct);
            Console.Out.WriteLine($"{verb}: {parse.GetValue(session)} done");
        }, ct));
        return command;
    }

    private static MemFd CopyToMemFd(FileInfo path)
    {
        using var source = LocalFileException.OpenToRead(path, "--file");
        var memfd = MemFd.Create($"luoctl:{path.Name}");
        try
        {
            byte[] chunk = new byte[1 << 20];
            long offset = 0;
            int read;
            while ((read = source.Read(chunk)) > 0)
            {
                memfd.Write(chunk.AsSpan(0, read), offset);
                offset += read;
            }
            return memfd;
        }
        catch
        {
            memfd.Dispose();
            throw;
        }
    }

    /// <summary>{"status":…,"sessions":[…]}: luod's GetStatus and ListSessions replies as io.liveupdate records.</summary>
    private static string SessionsJson(DaemonStatus status, IReadOnlyList<SessionInfo> sessions)
    {
        var output = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("status");
            JsonSerializer.Serialize(writer, status.ToProtocol(), LiveUpdateProtocolJson.Default.Status);
            writer.WriteStartArray("sessions");
            foreach (var session in sessions) JsonSerializer.Serialize(writer, session.ToProtocol(), LiveUpdateProtocolJson.Default.Session);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }
}
