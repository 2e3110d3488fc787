// luod: the LiveUpdate custody daemon. Configuration comes from /etc/luod/luod.json, then
// environment variables LUOD_*, then the command line (later sources win), e.g.
// --SocketPath=…, --QuotaBytesPerOwner=…, --OrphanGrace=00:05:00, --OrphanPolicy=Finish,
// --RebootBy=Auto|Luod|Systemd (who performs the final kexec; Systemd/RebootByChoice.cs).
// Started by systemd through luod.socket, it serves the socket systemd passes instead.
using LiveUpdate.Daemon;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

// `luod --help` / `luod --version` answer and exit; any other argument is configuration.
if (CommandLineHelp.Answered(args, Console.Out))
    return 0;

// The catalog's first read is slow under emulation (first-use JIT and serializer setup):
// do that on another thread while the host starts, off the restore path.
_ = Task.Run(CatalogCodec.WarmUp);

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, DisableDefaults = true });
builder.Configuration
    .AddJsonFile("/etc/luod/luod.json", optional: true)
    .AddEnvironmentVariables("LUOD_")
    .AddCommandLine(args);
builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
builder.Services.Configure<LuodOptions>(builder.Configuration);
// sd_notify through the package's notifier, not its lifetime: LuodService says READY=1 once it
// serves (SystemdWatchdog.cs says why).
builder.Services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
builder.Services.AddHostedService<LuodService>();
using var host = builder.Build();
await host.RunAsync();
return Environment.ExitCode;
