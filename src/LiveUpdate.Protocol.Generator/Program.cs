// LiveUpdate.Protocol.Generator: `generator <interface.varlink> <output.cs> <namespace> <ClassName>`
// — parses the Varlink interface file and writes its C# (CSharpProtocolEmitter). Run by
// LiveUpdate.Protocol's build before it compiles; exits 1 with the file's line on a bad file.
using LiveUpdate.Protocol.Generator;

if (args.Length != 4)
{
    Console.Error.WriteLine("usage: LiveUpdate.Protocol.Generator <interface.varlink> <output.cs> <namespace> <ClassName>");
    return 2;
}
try
{
    var idl = VarlinkIdlParser.Parse(File.ReadAllText(args[0]));
    string source = CSharpProtocolEmitter.Emit(idl, args[2], args[3], Path.GetFileName(args[0]));
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(args[1]))!);
    // Rewrite only when the text changes, so a rebuilt generator does not recompile the protocol's users.
    if (!File.Exists(args[1]) || File.ReadAllText(args[1]) != source) File.WriteAllText(args[1], source);
    return 0;
}
catch (FormatException error)
{
    Console.Error.WriteLine($"{args[0]}: error: {error.Message}");
    return 1;
}
