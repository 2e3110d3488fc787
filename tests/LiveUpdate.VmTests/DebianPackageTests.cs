// DebianPackageTests: builds the real liveupdate .deb (`luvm package`'s DebianPackageBuilder: the
// NativeAOT luod and luoctl, the repository's units) and checks it from outside with dpkg: the
// control fields, every file and its mode, the units byte for byte, the maintainer scripts'
// syntax, the native luod's --help, and an install, upgrade and purge into a scratch root
// (dpkg --root, chrootless scripts, which honour $DPKG_ROOT: nothing of this host is touched).
// Host tests (no Category=Vm): the first run publishes luod and luoctl (≈ 3 min), later runs reuse them.
using System.IO.Compression;
using System.Text.Json;
using System.Xml.Linq;
using LiveUpdate.VmHarness;
using LiveUpdate.VmHarness.Host;
using LiveUpdate.VmHarness.Packaging;

namespace LiveUpdate.VmTests;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DebianPackageFixture : IAsyncLifetime
{
    public TestProgress Progress { get; } = new();

    public RepositoryLayout Repository { get; } = RepositoryLayout.Locate();

    public DebianPackage Package { get; private set; } = null!;

    /// <summary>The package's tree, from `dpkg-deb -x`.</summary>
    public string Extracted { get; } = Directory.CreateTempSubdirectory("liveupdate-deb-").FullName;

    public async Task InitializeAsync()
    {
        Package = await new DebianPackageBuilder(HarnessCache.FromEnvironment(), Repository, Progress).BuildAsync(CancellationToken.None);
        await DebianPackageTests.RunAsync("dpkg-deb", "-x", Package.Path, Extracted);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(Extracted, recursive: true);
        return Task.CompletedTask;
    }
}

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DebianPackageTests : IClassFixture<DebianPackageFixture>
{
    private const string Program = "rwxr-xr-x";
    private const string Data = "rw-r--r--";

    /// <summary>What the package must hold, with modes (ls -l style, as dpkg-deb -c prints them).</summary>
    private static readonly Dictionary<string, string> ExpectedFiles = new()
    {
        ["usr/lib/liveupdate/luod"] = Program,
        ["usr/bin/luoctl"] = Program,
        ["usr/lib/systemd/system/luod.service"] = Data,
        ["usr/lib/systemd/system/luod.socket"] = Data,
        ["usr/lib/tmpfiles.d/luod.conf"] = Data,
        ["usr/lib/systemd/logind.conf.d/50-luod.conf"] = Data,
        ["usr/share/doc/liveupdate/luod.json.example"] = Data,
        ["usr/share/doc/liveupdate/copyright"] = Data,
        ["usr/share/doc/liveupdate/changelog.Debian.gz"] = Data,
        ["usr/share/man/man8/luod.8.gz"] = Data,
        ["usr/share/man/man8/luoctl.8.gz"] = Data,
    };

    private readonly DebianPackageFixture fixture;

    public DebianPackageTests(DebianPackageFixture fixture)
    {
        this.fixture = fixture;
    }

    private string Extracted(string path) => Path.Combine(fixture.Extracted, path);

    [Fact]
    public async Task Control_fields_name_the_package_its_version_and_its_dependencies()
    {
        string upstream = XDocument.Load(fixture.Repository.BuildProps).Descendants("LiveUpdateVersion").Single().Value;
        async Task<string> Field(string name) => (await RunAsync("dpkg-deb", "-f", fixture.Package.Path, name)).Trim();

        Assert.Equal("liveupdate", await Field("Package"));
        Assert.Equal("amd64", await Field("Architecture"));
        string version = await Field("Version");
        Assert.Equal(fixture.Package.Version, version);
        Assert.Matches(@"^" + System.Text.RegularExpressions.Regex.Escape(upstream) + @"(~git[0-9]{8}\.[0-9a-f]{7})?$", version);
        Assert.Equal($"liveupdate_{version}_amd64.deb", Path.GetFileName(fixture.Package.Path));
        Assert.StartsWith("libc6 (>= 2.34)", await Field("Depends"));
        Assert.Contains("libssl3", await Field("Depends"));
        Assert.Equal("luo-agent", await Field("Conflicts"));
        Assert.Equal("", await Field("Provides"));
        long installedKiB = long.Parse(await Field("Installed-Size"));
        long payloadKiB = Directory.EnumerateFiles(fixture.Extracted, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) / 1024;
        Assert.InRange(installedKiB, payloadKiB, payloadKiB + 64);
        // `dpkg-deb -I` shows the same control file and lists the three maintainer scripts.
        string info = await RunAsync("dpkg-deb", "-I", fixture.Package.Path);
        foreach (var script in new[] { "postinst", "prerm", "postrm", "md5sums" })
        {
            Assert.Contains(script, info);
        }
    }

    [Fact]
    public async Task Every_file_is_in_the_package_with_its_mode_owned_by_root()
    {
        var listed = (await RunAsync("dpkg-deb", "-c", fixture.Package.Path))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(fields => fields[^1].TrimStart('.', '/').TrimEnd('/'), fields => (Mode: fields[0], Owner: fields[1]));
        var files = listed.Where(e => e.Value.Mode[0] == '-').ToDictionary(e => e.Key, e => e.Value.Mode[1..]);
        Assert.Equal(ExpectedFiles.OrderBy(e => e.Key), files.OrderBy(e => e.Key));
        Assert.All(listed.Values, entry => Assert.Equal("root/root", entry.Owner));
        Assert.All(listed.Where(e => e.Value.Mode[0] == 'd'), e => Assert.Equal("drwxr-xr-x", e.Value.Mode));
        // dpkg-deb -x gives the same tree.
        foreach (var (path, mode) in ExpectedFiles)
        {
            Assert.True(File.Exists(Extracted(path)), path);
            Assert.Equal(mode == Program ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100, File.GetUnixFileMode(Extracted(path)));
        }
    }

    [Fact]
    public void Units_and_tmpfiles_entry_are_the_repositorys_files()
    {
        foreach (var (packaged, repository) in new[]
                 {
                     ("usr/lib/systemd/system/luod.service", "luod.service"),
                     ("usr/lib/systemd/system/luod.socket", "luod.socket"),
                     ("usr/lib/tmpfiles.d/luod.conf", "luod.conf"),
                 })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(fixture.Repository.SystemdDirectory, repository)), File.ReadAllBytes(Extracted(packaged)));
        }
        Assert.Contains("ExecStart=/usr/lib/liveupdate/luod", File.ReadAllText(Extracted("usr/lib/systemd/system/luod.service")));
        string logind = File.ReadAllText(Extracted("usr/lib/systemd/logind.conf.d/50-luod.conf"));
        Assert.Contains("[Login]\nInhibitDelayMaxSec=30s\n", logind);
    }

    [Fact]
    public void Man_pages_and_changelog_are_gzipped_roff_and_name_the_version()
    {
        foreach (var page in new[] { "luod", "luoctl" })
        {
            string roff = Gunzip(Extracted($"usr/share/man/man8/{page}.8.gz"));
            Assert.Contains($".TH {page.ToUpperInvariant()} 8", roff);
            foreach (var section in new[] { "NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "FILES", "SEE ALSO" })
            {
                Assert.Contains(".SH " + section + "\n", roff);
            }
        }
        // gzip -n: no file name and no timestamp in the header (Debian policy: reproducible).
        byte[] header = File.ReadAllBytes(Extracted("usr/share/man/man8/luod.8.gz"))[..8];
        Assert.Equal(0, header[3] & 0x08);
        Assert.Equal(0, BitConverter.ToInt32(header, 4));
        string changelog = Gunzip(Extracted("usr/share/doc/liveupdate/changelog.Debian.gz"));
        Assert.StartsWith($"liveupdate ({fixture.Package.Version}) unstable; urgency=medium\n", changelog);
        Assert.Matches(@"\n -- .+ <.+>  \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000\n$", changelog);
    }

    [Fact]
    public async Task Maintainer_scripts_are_posix_sh_with_set_e_and_pass_sh_n()
    {
        string control = Directory.CreateTempSubdirectory("liveupdate-control-").FullName;
        try
        {
            await RunAsync("dpkg-deb", "-e", fixture.Package.Path, control);
            foreach (var script in new[] { "postinst", "prerm", "postrm" })
            {
                string path = Path.Combine(control, script);
                string text = File.ReadAllText(path);
                Assert.StartsWith("#!/bin/sh\n", text);
                Assert.Contains("\nset -e\n", text);
                Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(path));
                await RunAsync("sh", "-n", path);
                if (HostPrerequisites.FindInPath("dash") is not null)
                {
                    await RunAsync("dash", "-n", path);
                }
                Assert.Equal(File.ReadAllText(Path.Combine(fixture.Repository.DebianPackagingDirectory, script)), text);
            }
        }
        finally
        {
            Directory.Delete(control, recursive: true);
        }
    }

    [Fact]
    public async Task Native_luod_help_lists_every_option_and_exits_without_starting_the_daemon()
    {
        string luod = Extracted("usr/lib/liveupdate/luod");
        var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip };
        using var example = JsonDocument.Parse(File.ReadAllText(Extracted("usr/share/doc/liveupdate/luod.json.example")), options);
        var names = example.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.NotEmpty(names);

        var help = await new ExternalCommand(luod, ["--help"]).CaptureAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        Assert.Equal(0, help.ExitCode);
        Assert.StartsWith("Usage: luod", help.StandardOutput);
        Assert.All(names, name => Assert.Contains("--" + name, help.StandardOutput));
        Assert.Equal("", help.StandardError);

        string upstream = XDocument.Load(fixture.Repository.BuildProps).Descendants("LiveUpdateVersion").Single().Value;
        var version = await new ExternalCommand(luod, ["--version"]).CaptureAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        Assert.Equal((0, $"luod {upstream}\n"), (version.ExitCode, version.StandardOutput));

        var luoctlHelp = await new ExternalCommand(Extracted("usr/bin/luoctl"), ["--help"]).CaptureAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        Assert.Equal(0, luoctlHelp.ExitCode);
        Assert.Contains("update", luoctlHelp.StandardOutput);
        var luoctlVersion = await new ExternalCommand(Extracted("usr/bin/luoctl"), ["--version"]).CaptureAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        Assert.Equal((0, upstream), (luoctlVersion.ExitCode, luoctlVersion.StandardOutput.Trim()));
    }

    [Fact]
    public async Task Native_binaries_need_only_libc()
    {
        foreach (var binary in new[] { "usr/lib/liveupdate/luod", "usr/bin/luoctl" })
        {
            var needed = (await RunAsync("objdump", "-p", Extracted(binary)))
                .Split('\n').Where(l => l.TrimStart().StartsWith("NEEDED", StringComparison.Ordinal))
                .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]).Order().ToArray();
            // libc6 ships all three; OpenSSL (libssl3) is opened with dlopen, hence its own Depends.
            Assert.Equal(["ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6"], needed);
        }
    }

    [Fact]
    public async Task Installs_upgrades_and_purges_in_a_scratch_root()
    {
        string root = Directory.CreateTempSubdirectory("liveupdate-root-").FullName;
        try
        {
            foreach (var directory in new[] { "info", "updates", "triggers" })
            {
                Directory.CreateDirectory(Path.Combine(root, "var/lib/dpkg", directory));
            }
            File.WriteAllText(Path.Combine(root, "var/lib/dpkg/status"), "");
            string[] dpkg = [$"--root={root}", "--force-not-root", "--force-script-chrootless", "--force-depends"];

            await RunAsync("dpkg", [.. dpkg, "-i", fixture.Package.Path]);
            Assert.True(File.Exists(Path.Combine(root, "usr/lib/liveupdate/luod")));
            Assert.Equal("/usr/lib/systemd/system/luod.socket", new FileInfo(Path.Combine(root, "etc/systemd/system/sockets.target.wants/luod.socket")).LinkTarget);
            Assert.Equal("/usr/lib/systemd/system/luod.service", new FileInfo(Path.Combine(root, "etc/systemd/system/multi-user.target.wants/luod.service")).LinkTarget);
            if (HostPrerequisites.FindInPath("systemd-tmpfiles") is not null)
            {
                Assert.True(Directory.Exists(Path.Combine(root, "run/luod")), "postinst's systemd-tmpfiles --create made /run/luod");
            }

            // An upgrade (the same package again: prerm upgrade, postinst configure <old version>).
            await RunAsync("dpkg", [.. dpkg, "-i", fixture.Package.Path]);
            Assert.Contains("Status: install ok installed", File.ReadAllText(Path.Combine(root, "var/lib/dpkg/status")));

            Directory.CreateDirectory(Path.Combine(root, "etc/luod"));
            File.WriteAllText(Path.Combine(root, "etc/luod/luod.json"), "{}");
            await RunAsync("dpkg", [.. dpkg, "-P", "liveupdate"]);
            Assert.False(Directory.Exists(Path.Combine(root, "etc/luod")), "purge removes /etc/luod");
            Assert.False(File.Exists(Path.Combine(root, "usr/lib/liveupdate/luod")));
            Assert.False(File.Exists(Path.Combine(root, "etc/systemd/system/sockets.target.wants/luod.socket")));
            Assert.False(File.Exists(Path.Combine(root, "etc/systemd/system/multi-user.target.wants/luod.service")));
            Assert.DoesNotContain("Package: liveupdate", File.ReadAllText(Path.Combine(root, "var/lib/dpkg/status")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task A_second_build_with_the_same_inputs_reuses_the_package()
    {
        var before = File.GetLastWriteTimeUtc(fixture.Package.Path);
        var again = await new DebianPackageBuilder(HarnessCache.FromEnvironment(), fixture.Repository, fixture.Progress).BuildAsync(CancellationToken.None);
        Assert.Equal(fixture.Package, again);
        Assert.Equal(before, File.GetLastWriteTimeUtc(again.Path));
    }

    private static string Gunzip(string path)
    {
        using var stream = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        return new StreamReader(stream).ReadToEnd();
    }

    /// <summary>Runs a tool and returns its stdout; a non-zero exit fails the test with its stderr.</summary>
    internal static async Task<string> RunAsync(string tool, params string[] arguments)
    {
        var result = await new ExternalCommand(tool, arguments).CaptureAsync(new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token);
        Assert.True(result.ExitCode == 0, $"{tool} {string.Join(' ', arguments)} exited {result.ExitCode}: {result.StandardError}");
        return result.StandardOutput;
    }
}
