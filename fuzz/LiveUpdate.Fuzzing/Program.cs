// LiveUpdate.Fuzzing: `LiveUpdate.Fuzzing <target>` runs one fuzz target in SharpFuzz's
// out-of-process persistent loop under afl-fuzz; `LiveUpdate.Fuzzing <target> --replay <file>…`
// feeds files once each (no AFL), which is how a crash found by AFL is reproduced.
// Each target lets its parser's documented typed errors pass and lets everything else escape,
// which AFL records as a crash.
using LiveUpdate.Fuzzing;
using SharpFuzz;

var targets = FuzzTargets.All;
if (args.Length == 0 || !targets.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: LiveUpdate.Fuzzing <target> [--replay FILE…]; targets: {string.Join(", ", targets.Keys)}");
    return 2;
}
if (args.Length > 1 && args[1] == "--replay")
{
    foreach (string file in args.Skip(2))
        target(File.ReadAllBytes(file));
    return 0;
}
Fuzzer.OutOfProcess.Run(stream =>
{
    using var memory = new MemoryStream();
    stream.CopyTo(memory);
    target(memory.ToArray());
});
return 0;
