// CommandOptions: `luqemu run`'s options, checked up front (a missing kernel is reported before luod is touched).
namespace LuQemu;

public sealed record CommandOptions(string Name, VmDefinition Vm, string RunDirectory, string? LuodSocket, bool VerifyRam, bool EchoConsole, ulong? FillRamSeed = null)
{
    public static CommandOptions Parse(ReadOnlySpan<string> args)
    {
        var values = new Dictionary<string, string>();
        var flags = new HashSet<string>();
        for (int i = 0; i < args.Length; i++)
        {
            string option = args[i];
            if (option is "--verify-ram" or "--echo-console") { flags.Add(option); continue; }
            if (!option.StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"'{option}' is not an option of luqemu run, or it lacks its value");
            values[option] = args[++i];
        }
        string Required(string option) => values.TryGetValue(option, out var value) ? value : throw new ArgumentException($"{option} is required");
        int Number(string option, int fallback, int max)
        {
            if (!values.TryGetValue(option, out var text)) return fallback;
            return int.TryParse(text, out int number) && number > 0 && number <= max ? number : throw new ArgumentException($"{option} must be a whole number from 1 to {max}, not '{text}'");
        }
        string name = Required("--name");
        string kernel = Required("--kernel"), initrd = Required("--initrd");
        foreach (var file in new[] { kernel, initrd })
            if (!File.Exists(file)) throw new ArgumentException($"{file} does not exist");
        var vm = new VmDefinition(Number("--ram-mib", 0, 1 << 20) is var ram && ram > 0 ? ram : throw new ArgumentException("--ram-mib is required"),
            Number("--cpus", 1, 64), Path.GetFullPath(kernel), Path.GetFullPath(initrd), values.GetValueOrDefault("--append", "console=ttyS0"),
            values.GetValueOrDefault("--qemu", VmDefinition.DebianQemu));
        return new CommandOptions(name, vm, values.GetValueOrDefault("--run-dir", $"/run/luqemu/{name}"), values.GetValueOrDefault("--luod-socket"),
            flags.Contains("--verify-ram"), flags.Contains("--echo-console"),
            values.TryGetValue("--fill-ram", out var fill) ? ulong.TryParse(fill, out var seed) ? seed : throw new ArgumentException($"--fill-ram takes a seed (a whole number), not '{fill}'") : null);
    }
}
