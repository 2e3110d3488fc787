// RunDirectory: where one VM's sockets and console log live (/run/luqemu/<name>/ by default).
namespace LuQemu;

public sealed record RunDirectory(string Path)
{
    public string QmpSocket => System.IO.Path.Combine(Path, "qmp.sock");
    public string ConsoleSocket => System.IO.Path.Combine(Path, "console.sock");
    public string ConsoleLog => System.IO.Path.Combine(Path, "console.log");

    public static RunDirectory Create(string path)
    {
        Directory.CreateDirectory(path);
        return new RunDirectory(path);
    }
}
