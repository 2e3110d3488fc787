// PrivateDbusDaemon: a dbus-daemon of the tests' own (/usr/bin/dbus-daemon, a minimal
// session-type configuration in a temporary directory, anyone may own any name), on which the
// tests serve fake org.freedesktop.systemd1 and org.freedesktop.login1 for luod to talk to.
using System.Diagnostics;
using Tmds.DBus.Protocol;

namespace LiveUpdate.Daemon.Tests;

public sealed class PrivateDbusDaemon : IDisposable
{
    private readonly Process _daemon;
    private readonly string _directory;

    private PrivateDbusDaemon(Process daemon, string directory, string address) => (_daemon, _directory, Address) = (daemon, directory, address);

    /// <summary>The bus's address (unix:path=…).</summary>
    public string Address { get; }

    public static async Task<PrivateDbusDaemon> StartAsync()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"luod-dbus-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        string config = Path.Combine(directory, "bus.conf");
        await File.WriteAllTextAsync(config, $"""
            <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
             "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
            <busconfig>
              <type>session</type>
              <listen>unix:path={directory}/bus</listen>
              <auth>EXTERNAL</auth>
              <policy context="default">
                <allow send_destination="*" eavesdrop="true"/>
                <allow eavesdrop="true"/>
                <allow own="*"/>
              </policy>
            </busconfig>
            """);
        var start = new ProcessStartInfo("/usr/bin/dbus-daemon", ["--config-file", config, "--print-address", "--nofork", "--nopidfile"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var daemon = Process.Start(start) ?? throw new InvalidOperationException("dbus-daemon did not start");
        string? address = await daemon.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));
        if (string.IsNullOrWhiteSpace(address))
        {
            daemon.Kill();
            throw new InvalidOperationException($"dbus-daemon printed no address: {await daemon.StandardError.ReadToEndAsync()}");
        }
        return new PrivateDbusDaemon(daemon, directory, address.Trim());
    }

    /// <summary>A connection that owns <paramref name="name"/> and serves <paramref name="handler"/>.</summary>
    public async Task<DBusConnection> ServeAsync(string name, IPathMethodHandler handler)
    {
        var connection = new DBusConnection(Address);
        await connection.ConnectAsync();
        connection.AddMethodHandler(handler);
        await connection.RequestNameAsync(name);
        return connection;
    }

    public void Dispose()
    {
        if (!_daemon.HasExited) _daemon.Kill();
        _daemon.WaitForExit(5000);
        _daemon.Dispose();
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { }
    }
}
