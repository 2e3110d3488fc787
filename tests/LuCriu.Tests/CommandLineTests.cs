// CommandLineTests: lucriu's options (values taken as they are, so criu's own --options pass
// through --criu-arg), the criu command lines with and without --criu-root, and where the
// files are on each side of the chroot.
namespace LuCriu.Tests;

public sealed class CommandLineTests
{
    [Fact]
    public void Criu_arguments_that_look_like_options_pass_through_in_order()
    {
        var options = LuCriuOptions.Parse(["keep", "--name", "mc", "--pid", "42", "--criu-arg", "--tcp-established", "--criu-arg", "--shell-job"]);
        Assert.Equal(["--tcp-established", "--shell-job"], options.CriuArguments);
        Assert.Equal(LuCriuOptions.DefaultCriuPath, options.CriuPath);
        Assert.Equal(42, options.Pid);
    }

    [Theory]
    [InlineData(new[] { "keep", "--name", "mc" }, "--pid PID is required")]
    [InlineData(new[] { "keep", "--name", "mc", "--pid", "0" }, "--pid wants a process id")]
    [InlineData(new[] { "restore", "--pid", "42", "--name", "mc" }, "'--pid' is not an option of lucriu restore")]
    [InlineData(new[] { "keep", "--name", "mc", "--pid", "1", "--no-resumed" }, "'--no-resumed' is not an option of lucriu keep")]
    [InlineData(new[] { "restore", "--name", "mc", "--criu-root", "sid" }, "--criu-root wants an absolute path")]
    [InlineData(new[] { "restore", "--name" }, "--name needs a value")]
    [InlineData(new[] { "dump" }, "unknown command 'dump'")]
    public void Wrong_command_lines_are_refused_with_the_reason(string[] args, string reason)
    {
        var error = Assert.Throws<UsageException>(() => LuCriuOptions.Parse(args));
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void With_a_criu_root_criu_runs_chrooted_and_is_given_paths_inside_the_root()
    {
        var layout = new CriuLayout("/srv/sid/", "mc", null);
        Assert.Equal("/run/lucriu/mc/images", layout.ImagesInRoot);
        Assert.Equal("/srv/sid/run/lucriu/mc/images", layout.ImagesOnHost);
        Assert.Equal("/srv/sid/run/lucriu/mc", layout.WorkOnHost);

        var dump = CriuInvocation.Dump(1234, layout.ImagesInRoot, ["--tcp-close"]);
        var (program, arguments) = dump.CommandLine("/usr/sbin/criu", layout.CriuRoot);
        Assert.Equal("chroot", program);
        Assert.Equal(["/srv/sid", "/usr/sbin/criu", "dump", "-t", "1234", "-D", "/run/lucriu/mc/images", "-o", "dump.log", "-v2", "--leave-stopped", "--tcp-close"], arguments);
    }

    [Fact]
    public void Without_a_criu_root_criu_runs_directly_on_the_host_paths()
    {
        var layout = new CriuLayout(null, "mc", "/dev/shm/lucriu");
        Assert.Equal("/dev/shm/lucriu/images", layout.ImagesOnHost);
        Assert.Equal(layout.ImagesInRoot, layout.ImagesOnHost);
        var (program, arguments) = CriuInvocation.Restore(layout.ImagesInRoot, []).CommandLine("/opt/criu", null);
        Assert.Equal("/opt/criu", program);
        Assert.Equal(["restore", "-D", "/dev/shm/lucriu/images", "-d", "-o", "restore.log", "-v2"], arguments);
    }

    [Fact]
    public void A_work_directory_on_tmpfs_draws_no_warning_and_one_on_disk_does()
    {
        var quiet = new StringWriter();
        KeepCommand.WarnUnlessInMemory("/dev/shm", quiet);
        Assert.Equal("", quiet.ToString());

        var warned = new StringWriter();
        string onDisk = Path.Combine(AppContext.BaseDirectory);
        KeepCommand.WarnUnlessInMemory(onDisk, warned);
        if (LiveUpdate.Kernel.FileSystemType.IsInMemory(onDisk))
            Assert.Equal("", warned.ToString());
        else
            Assert.Contains($"{onDisk} is not on tmpfs or ramfs", warned.ToString());
    }
}
