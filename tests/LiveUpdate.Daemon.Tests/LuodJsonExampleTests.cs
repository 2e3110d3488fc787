// LuodJsonExampleTests: packaging/debian/luod.json.example (installed as
// /usr/share/doc/liveupdate/luod.json.example) names every LuodOptions property with its default
// and nothing else: read by the JSON configuration provider luod reads /etc/luod/luod.json with,
// bound with unknown keys as errors. And `luod --help` lists the same options.
using LiveUpdate.Daemon;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LiveUpdate.Daemon.Tests;

public sealed class LuodJsonExampleTests
{
    private static string ExamplePath()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, "packaging", "debian", "luod.json.example");
            if (File.Exists(Path.Combine(directory.FullName, "LiveUpdate.sln")) && File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException("packaging/debian/luod.json.example above " + AppContext.BaseDirectory);
    }

    private static IConfigurationRoot Example() => new ConfigurationBuilder().AddJsonFile(ExamplePath(), optional: false).Build();

    private static readonly string[] OptionNames = typeof(LuodOptions).GetProperties().Select(p => p.Name).Order().ToArray();

    [Fact]
    public void Binds_to_LuodOptions_with_no_unknown_key_and_every_value_the_default()
    {
        // As luod does (Services.Configure<LuodOptions>(configuration)), but unknown keys throw.
        var services = new ServiceCollection().Configure<LuodOptions>(Example(), binder => binder.ErrorOnUnknownConfiguration = true).BuildServiceProvider();
        var bound = services.GetRequiredService<IOptions<LuodOptions>>().Value;

        var defaults = new LuodOptions();
        foreach (var property in typeof(LuodOptions).GetProperties())
        {
            object? expected = property.GetValue(defaults), actual = property.GetValue(bound);
            if (expected is System.Collections.IEnumerable list and not string)
            {
                Assert.Equal(list.Cast<object>(), ((System.Collections.IEnumerable)actual!).Cast<object>());
            }
            else
            {
                Assert.Equal(expected, actual);
            }
        }
    }

    [Fact]
    public void Names_every_option()
    {
        Assert.Equal(OptionNames, Example().GetChildren().Select(c => c.Key).Order().ToArray());
    }

    [Fact]
    public void An_unknown_key_is_refused_by_the_same_binding()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("SocketPth", "/x")]).Build();
        var services = new ServiceCollection().Configure<LuodOptions>(configuration, binder => binder.ErrorOnUnknownConfiguration = true).BuildServiceProvider();
        Assert.Throws<InvalidOperationException>(() => services.GetRequiredService<IOptions<LuodOptions>>().Value);
    }

    [Fact]
    public void Help_lists_every_option_and_answers_without_starting_the_daemon()
    {
        var output = new StringWriter();
        Assert.True(CommandLineHelp.Answered(["--help"], output));
        Assert.All(OptionNames, name => Assert.Contains("--" + name, output.ToString()));

        var version = new StringWriter();
        Assert.True(CommandLineHelp.Answered(["--version"], version));
        Assert.StartsWith("luod ", version.ToString());

        Assert.False(CommandLineHelp.Answered([], new StringWriter()));
        Assert.False(CommandLineHelp.Answered(["--OrphanPolicy=Finish"], new StringWriter()));
    }
}
