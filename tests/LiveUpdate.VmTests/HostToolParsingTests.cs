// HostToolParsingTests: reading what host tools print: Debian version order (to pick the newest
// linux-source), apt-cache madison lines and ldd output (which libraries go into the guest).
using LiveUpdate.VmHarness;
using LiveUpdate.VmHarness.GuestImage;
using LiveUpdate.VmHarness.Kernels;

namespace LiveUpdate.VmTests;

public sealed class HostToolParsingTests
{
    [Theory]
    [InlineData("7.2.13-1", "7.2.12-1~bpo13+1")]
    [InlineData("7.3.4-1", "7.3.4-1~bpo13+1")]
    [InlineData("7.2.13-1", "7.2.9-1")]
    [InlineData("1:0.1-1", "9.9-1")]
    [InlineData("7.3.4-1~bpo13+2", "7.3.4-1~bpo13+1")]
    [InlineData("7.3~rc1-1", "7.3~~-1")]
    [InlineData("7.3-1", "7.3~rc1-1")]
    public void Debian_versions_order_like_dpkg(string higher, string lower)
    {
        Assert.True(new DebianVersion(higher).CompareTo(new DebianVersion(lower)) > 0);
        Assert.True(new DebianVersion(lower).CompareTo(new DebianVersion(higher)) < 0);
        Assert.Equal(0, new DebianVersion(higher).CompareTo(new DebianVersion(higher)));
    }

    [Fact]
    public void Madison_output_yields_the_versions_and_the_highest_wins()
    {
        const string output = """
            linux-source-7.2 |   7.2.13-1 | http://deb.debian.org/debian sid/main amd64 Packages
            linux-source-7.2 | 7.2.12-1~bpo13+1 | http://deb.debian.org/debian trixie-backports/main amd64 Packages
            linux-source-7.2 | 7.2.9-1~bpo13+1 | http://deb.debian.org/debian trixie-backports/main amd64 Packages
            """;
        var versions = PrivateAptConfiguration.ParseMadison(output, "linux-source-7.2");
        Assert.Equal(3, versions.Count);
        Assert.Equal("7.2.13-1", versions.Max()!.Text);
        Assert.Empty(PrivateAptConfiguration.ParseMadison(output, "linux-source-7.3"));
    }

    [Fact]
    public void Private_sources_list_names_sid_and_trixie_backports_with_the_keyring()
    {
        Assert.Equal(
            "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main\n" +
            "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie-backports main\n",
            PrivateAptConfiguration.SourcesListText);
        var options = new PrivateAptConfiguration("/c/apt").Options;
        Assert.Contains("Dir::Etc::sourcelist=/c/apt/sources.list", options);
        Assert.Contains("Dir::Etc::sourceparts=-", options);
        Assert.Contains("Dir::State::Lists=/c/apt/lists", options);
    }

    [Fact]
    public void Ldd_output_becomes_guest_libraries_at_the_printed_paths()
    {
        const string output = """
            	linux-vdso.so.1 (0x00007ffc8a5f6000)
            	libstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f0a1a200000)
            	libm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007f0a1a521000)
            	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0a1a01f000)
            	/lib64/ld-linux-x86-64.so.2 (0x00007f0a1a61b000)
            """;
        var libraries = SharedLibraryCollector.ParseLdd(output, "lu-guest");
        Assert.Equal(
            new[] { "/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libm.so.6", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2" },
            libraries.Select(l => l.GuestPath));
        Assert.All(libraries, l => Assert.Equal(l.GuestPath, l.HostPath));
    }

    [Fact]
    public void A_library_ldd_cannot_find_is_an_error_naming_it()
    {
        var error = Assert.Throws<HarnessException>(() => SharedLibraryCollector.ParseLdd("\tlibicu.so.72 => not found\n", "lu-guest"));
        Assert.Contains("libicu.so.72", error.Message);
        Assert.Contains("lu-guest", error.Message);
    }
}
