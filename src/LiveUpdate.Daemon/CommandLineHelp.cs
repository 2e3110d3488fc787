// CommandLineHelp: `luod --help` and `luod --version`. Every other argument of luod is
// configuration (--Name=value), so without this a plain `luod --help` would start the daemon.
// Answered before the host is built: nothing is opened, bound or logged.
using System.Reflection;

namespace LiveUpdate.Daemon;

internal static class CommandLineHelp
{
    // Before Text: static fields are initialized in the order they are written.
    private static readonly LuodOptions Defaults = new();

    /// <summary>The options' names and defaults, as LuodOptions has them; the man page luod(8) and luod.json.example say the same.</summary>
    internal static readonly string Text = $"""
        Usage: luod [--Name=value ...]
               luod --help | --version

        luod is the LiveUpdate custody daemon: the sole owner of /dev/liveupdate. It holds Linux
        Live Update sessions for its clients through the kexec and serves the Varlink interface
        io.liveupdate. It is meant to run under systemd (luod.service, luod.socket).

        Configuration, later sources win: /etc/luod/luod.json, environment variables LUOD_<Name>,
        then arguments --Name=value.

        Options (default in brackets):
          --SocketPath=PATH           socket to bind when not socket-activated [{Defaults.SocketPath}]
          --DevicePath=PATH           the Live Update Orchestrator device [{Defaults.DevicePath}]
          --CustodyRecordPath=PATH    record of what luod holds, to notice custody lost after a crash (tmpfs)
                                      [{Defaults.CustodyRecordPath}]
          --AllowedUids:0=UID ...     uids allowed to connect besides root; none = any uid []
          --AllowedGids:0=GID ...     primary gids allowed to connect; none = any []
          --QuotaBytesPerOwner=N      bytes one owner may preserve in managed sessions; 0 = unlimited [{Defaults.QuotaBytesPerOwner}]
          --OrphanGrace=HH:MM:SS      how long an unclaimed session waits after the kexec [{Defaults.OrphanGrace}]
          --OrphanPolicy=Keep|Finish  what happens to it then [{Defaults.OrphanPolicy}]
          --RebootBy=Auto|Luod|Systemd  who performs an update's final kexec; Auto: systemd when it
                                      started luod with an fd store and is v261 or later [{Defaults.RebootBy}]
          --SocketMode=OCTAL          file mode of the socket luod binds itself [{Defaults.SocketMode}]
          --MetricsListen=ADDRESS     serve OpenMetrics on GET /metrics: HOST:PORT (127.0.0.1:9464,
                                      [::1]:9464, 0.0.0.0:9464) or unix:PATH; empty = off [{Defaults.MetricsListen}]
          --KhoDebugfsPath=PATH       KHO's debugfs directory (the kexec count of the metrics) [{Defaults.KhoDebugfsPath}]

          --help                      print this and exit
          --version                   print luod's version and exit

        See luod(8), luoctl(8) and /usr/share/doc/liveupdate/luod.json.example.
        """;

    internal static string Version =>
        typeof(CommandLineHelp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>Writes the help (or else the version) when an argument asks for it and returns true; false means: run the daemon.</summary>
    internal static bool Answered(string[] args, TextWriter output)
    {
        if (args.Any(a => a is "--help" or "-h" or "-?"))
        {
            output.WriteLine(Text);
            return true;
        }
        if (args.Contains("--version"))
        {
            output.WriteLine($"luod {Version}");
            return true;
        }
        return false;
    }
}
