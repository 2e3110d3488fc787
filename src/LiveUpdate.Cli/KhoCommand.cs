// KhoCommand: `luoctl kho [--json] [--debugfs DIR]` — the KHO/LUO handover state of this boot
// as the kernel shows it in debugfs: the scratch areas, the outgoing and incoming root FDTs
// with every subtree decoded (LUO's header, the kexec metadata, nested FDTs; unknown formats
// as hex), and the previous kernel's release and kexec count. Read-only; needs root and
// debugfs. Exit 0 when read, 1 when the state cannot be read (the message says why and the fix).
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LiveUpdate.Kernel.Handover;
using Spectre.Console;

namespace LiveUpdate.Cli;

internal static class KhoCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the state as JSON" };
        var debugfs = new Option<string>("--debugfs")
        {
            Description = "KHO's debugfs directory (a copy of it works too)",
            DefaultValueFactory = _ => KhoStatePaths.DefaultKhoDebugfs,
        };
        var command = new Command("kho", "Show this boot's KHO/LUO handover state (debugfs): scratch areas, outgoing and incoming FDTs, the previous kernel") { json, debugfs };
        command.SetAction(async (parse, cancellation) =>
        {
            KhoState state;
            try
            {
                state = await KhoStateReader.ReadAsync(new KhoStatePaths(KhoDebugfs: parse.GetValue(debugfs)!), cancellation);
            }
            catch (Exception error) when (error is HandoverStateUnavailableException or IOException)
            {
                Console.Error.WriteLine($"luoctl: {error.Message}");
                return LuoctlExitCodes.NotReady;
            }
            if (parse.GetValue(json)) Console.Out.WriteLine(JsonSerializer.Serialize(state, KhoJson.Default.KhoState));
            else Render(state);
            return LuoctlExitCodes.Success;
        });
        return command;
    }

    private static void Render(KhoState state)
    {
        AnsiConsole.MarkupLine($"[bold]KHO state[/] of {Markup.Escape(state.Release)} ({Markup.Escape(state.DebugfsDirectory)})");
        AnsiConsole.MarkupLine(state.PreviousKernel is { KnownLayout: true } previous
            ? $"previous kernel: [bold]{Markup.Escape(previous.PreviousRelease!)}[/], kexec count {previous.KexecCount}"
            : state.BootedByHandover ? "previous kernel: handed over no kexec-metadata this reader knows" : "previous kernel: none (cold boot)");

        var scratch = new Table().Border(TableBorder.Rounded).Title("scratch areas (kho/out)")
            .AddColumn("#").AddColumn("physical").AddColumn("length").AddColumn(new TableColumn("MiB").RightAligned());
        foreach (var area in state.Outgoing.ScratchAreas)
            scratch.AddRow($"{area.Index}", Hex(area.PhysicalAddress), Hex(area.Length), (area.Length / 1048576.0).ToString("F1", CultureInfo.InvariantCulture));
        AnsiConsole.Write(scratch);
        if (state.Outgoing.ScratchProblem is { } scratchProblem) AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(scratchProblem)}[/]");

        RenderDirection("outgoing (kho/out: what the next kernel will receive)", state.Outgoing);
        if (state.Incoming is { } incoming) RenderDirection("incoming (kho/in: what the previous kernel handed over)", incoming);
        foreach (string note in state.Notes) AnsiConsole.MarkupLine($"[grey]{Markup.Escape(note)}[/]");
    }

    private static void RenderDirection(string title, KhoDirectionState direction)
    {
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(title)}[/]");
        if (direction.Compatible is { } compatible)
            AnsiConsole.MarkupLine($"  root FDT: compatible {Markup.Escape(compatible)}{(direction.KnownKhoAbi == true ? "" : " [yellow](not the ABI this reader was written for)[/]")}, " +
                $"{direction.FdtTotalSize} bytes, preserved-memory-map {(direction.MemoryMapPhysicalAddress is { } map ? Hex(map) : "absent")} (physical; not readable from userspace)");
        if (direction.FdtProblem is { } problem) AnsiConsole.MarkupLine($"  [yellow]{Markup.Escape(problem)}[/]");
        foreach (var property in direction.OtherRootProperties)
            AnsiConsole.MarkupLine($"  root property {Markup.Escape(property.Name)} = {Markup.Escape(property.Display)}");
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("subtree").AddColumn("physical").AddColumn(new TableColumn("bytes").RightAligned()).AddColumn("format").AddColumn("decoded");
        foreach (var subtree in direction.Subtrees)
            table.AddRow(Markup.Escape(subtree.Name), subtree.PhysicalAddress is { } pa ? Hex(pa) : "-",
                $"{subtree.Size?.ToString(CultureInfo.InvariantCulture) ?? subtree.BlobLength?.ToString(CultureInfo.InvariantCulture) ?? "-"}",
                subtree.Format.ToString(), Markup.Escape(Describe(subtree)));
        AnsiConsole.Write(table);
    }

    private static string Describe(KhoSubtree subtree)
    {
        var parts = new List<string>();
        if (subtree.Luo is { } luo)
            parts.Add($"{luo.Compatible}{(luo.KnownAbi ? "" : " (unknown ABI, read with the luo-v5 layout)")}, live update #{luo.LiveUpdateNumber}, " +
                $"sessions at {Hex(luo.SessionsPhysicalAddress)}, FLBs at {Hex(luo.FlbsPhysicalAddress)} (physical; not readable from userspace)");
        if (subtree.KexecMetadata is { KnownLayout: true } metadata)
            parts.Add($"v{metadata.Version}: release {metadata.PreviousRelease}, kexec count {metadata.KexecCount}");
        if (subtree.Tree is { } tree) parts.Add(DescribeTree(tree));
        foreach (var property in subtree.OtherProperties) parts.Add($"{property.Name} = {property.Display}");
        if (subtree.RawPreview is { } raw) parts.Add(raw);
        if (subtree.Problem is { } problem) parts.Add($"({problem})");
        return string.Join("; ", parts);
    }

    private static string DescribeTree(FdtNode node)
    {
        var parts = node.Properties.Select(p => $"{p.Name} = {p.Display}")
            .Concat(node.Children.Select(c => $"{c.Name} {{ {DescribeTree(c)} }}"));
        return string.Join("; ", parts);
    }

    private static string Hex(ulong value) => $"0x{value:x}";
}
