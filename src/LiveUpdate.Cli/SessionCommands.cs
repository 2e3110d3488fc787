// SessionCommands: luoctl verbs over luod, so scripts can use luod without the SDK:
// `sessions` (list), `preserve` (a file's bytes or an inherited fd into a managed session),
// `retrieve` (after kexec: a preserved file's bytes to a path), `finish`, `release`.
using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using LiveUpdate.Kernel;
using Spectre.Console;

namespace LiveUpdate.Cli;

internal static class SessionCommands
{
    public static IEnumerable<Command> Create()
    {
        yield return Sessions();
        yield return Preserve();
        yield return Retrieve();
        yield return Simple("finish", "After a kexec: tell luod the session is restored; it calls FINISH and forgets it", "Finish");
        yield return Simple("release", "Before a kexec: give the session up (the kernel stops preserving it)", "Release");
    }

    private static Command Sessions()
    {
        var socket = LuodConnection.SocketOption();
        var all = new Option<bool>("--all") { Description = "Every owner's sessions (root only)" };
        var json = new Option<bool>("--json") { Description = "Print luod's reply as JSON" };
        var command = new Command("sessions", "List the sessions luod holds for you") { socket, all, json };
        command.SetAction((parse, ct) => LuodConnection.RunAsync(parse.GetValue(socket)!, async client =>
        {
            var status = (await client.CallAsync("io.liveupdate.GetStatus", cancellationToken: ct)).Parameters["status"]!.AsObject();
            var reply = await client.CallAsync("io.liveupdate.ListSessions", new JsonObject { ["all"] = parse.GetValue(all) }, cancellationToken: ct);
            var sessions = reply.Parameters["sessions"]!.AsArray();
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(new JsonObject { ["status"] = status.DeepClone(), ["sessions"] = sessions.DeepClone() }.ToJsonString());
                return;
            }
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumn("owner").AddColumn("session").AddColumn("mode").AddColumn("state").AddColumn("files").AddColumn("bytes").AddColumn("kernel name");
            foreach (var session in sessions.Select(s => s!.AsObject()))
            {
                string files = string.Join(", ", session["files"]!.AsArray().Select(f => $"{f!["name"]}#{f["token"]}"));
                table.AddRow(Text(session["owner"]), Text(session["name"]), Text(session["mode"]), Text(session["state"]),
                    Markup.Escape(files), Text(session["preservedBytes"]), Text(session["kernelName"]));
            }
            AnsiConsole.Write(table);
            if (status["custodyLost"]?.GetValue<bool>() == true)
                AnsiConsole.MarkupLine($"[red]custody lost:[/] {Markup.Escape(status["custodyLostReason"]?.ToString() ?? "")}");
            if (status["orphans"]?.GetValue<int>() is > 0 and var orphans)
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
            var list = await client.CallAsync("io.liveupdate.ListSessions", cancellationToken: ct);
            if (!list.Parameters["sessions"]!.AsArray().Any(s => s!["name"]!.GetValue<string>() == sessionName))
                await client.CallAsync("io.liveupdate.CreateSession", new JsonObject { ["name"] = sessionName, ["mode"] = "managed" }, cancellationToken: ct);
            var reply = await client.CallAsync("io.liveupdate.Preserve",
                new JsonObject { ["session"] = sessionName, ["name"] = parse.GetValue(name), ["fd"] = 0 }, [handle], ct);
            var preserved = reply.Parameters["file"]!;
            Console.Out.WriteLine($"preserved {preserved["name"]} ({preserved["bytes"]} bytes) in session {sessionName} as token {preserved["token"]}");
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
            var reply = await client.CallAsync("io.liveupdate.Claim", new JsonObject { ["session"] = sessionName }, cancellationToken: ct);
            using var descriptors = reply.FileDescriptors;
            var files = reply.Parameters["session"]!["files"]!.AsArray();
            int index = files.Select(f => f!["name"]!.GetValue<string>()).ToList().IndexOf(fileName);
            if (index < 0)
                throw new Varlink.VarlinkErrorException("io.liveupdate.SessionNotFound", new JsonObject { ["session"] = $"{sessionName}/{fileName}" });
            int fdIndex = reply.Parameters["fds"]![index]!.GetValue<int>();
            using var memfd = descriptors.TakeMemFd(fdIndex);
            long size = memfd.Size;
            await using var target = File.Create(parse.GetValue(output)!.FullName);
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

    private static Command Simple(string verb, string description, string method)
    {
        var socket = LuodConnection.SocketOption();
        var session = new Option<string>("--session") { Description = "Session name", Required = true };
        var command = new Command(verb, description) { socket, session };
        command.SetAction((parse, ct) => LuodConnection.RunAsync(parse.GetValue(socket)!, async client =>
        {
            await client.CallAsync($"io.liveupdate.{method}", new JsonObject { ["session"] = parse.GetValue(session) }, cancellationToken: ct);
            Console.Out.WriteLine($"{verb}: {parse.GetValue(session)} done");
        }, ct));
        return command;
    }

    private static MemFd CopyToMemFd(FileInfo path)
    {
        var memfd = MemFd.Create($"luoctl:{path.Name}");
        using var source = File.OpenRead(path.FullName);
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

    private static string Text(JsonNode? node) => Markup.Escape(node switch
    {
        JsonValue value when value.TryGetValue(out string? text) => text,
        null => "",
        _ => node.ToJsonString(),
    });
}
