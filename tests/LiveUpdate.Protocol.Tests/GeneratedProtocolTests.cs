// GeneratedProtocolTests: the generated io.liveupdate types against the wire — exact field
// names and enum strings, optional fields, what a call that does not fit is refused for —
// and against the interface file: the generated names are those the embedded
// io.liveupdate.varlink declares, and that text is the file in the source tree.
using System.Text.Json.Nodes;
using LiveUpdate.Protocol.Generator;
using LiveUpdate.Varlink;

namespace LiveUpdate.Protocol.Tests;

public sealed class GeneratedProtocolTests
{
    private static LiveUpdateProtocolJson Json => LiveUpdateProtocolJson.Default;

    [Fact]
    public void A_session_has_todays_wire_shape()
    {
        var session = new Session
        {
            Name = "db", Owner = 1000, KernelName = "luod-1000-db", Mode = SessionMode.Managed, State = SessionState.Orphaned,
            Files = [new File { Name = "heap", Token = 1, Bytes = 4096 }], PreservedBytes = 4096, CreatedNs = 42, Metadata = null,
        };
        Assert.Equal(
            """{"name":"db","owner":1000,"kernelName":"luod-1000-db","mode":"managed","state":"orphaned","files":[{"name":"heap","token":1,"bytes":4096}],"preservedBytes":4096,"createdNs":42,"metadata":null}""",
            VarlinkParameters.From(session, Json.Session).ToJsonString());
    }

    [Fact]
    public void Optional_fields_may_be_absent_or_null()
    {
        var parameters = new JsonObject { ["name"] = "db", ["mode"] = "delegated" };
        Assert.True(VarlinkParameters.TryRead(parameters, Json.CreateSessionParameters, out var read, out _));
        Assert.Equal(SessionMode.Delegated, read.Mode);
        Assert.Null(read.Metadata);
        parameters["metadata"] = null;
        Assert.True(VarlinkParameters.TryRead(parameters, Json.CreateSessionParameters, out read, out _));
        Assert.Null(read.Metadata);
    }

    [Theory]
    [InlineData("""{"mode":"managed"}""", "name")]
    [InlineData("""{"name":null,"mode":"managed"}""", "name")]
    [InlineData("""{"name":"db","mode":"other"}""", "mode")]
    [InlineData("""{"name":"db","mode":"Managed"}""", "mode")]
    [InlineData("""{"name":"db","mode":1}""", "mode")]
    [InlineData("""{"name":"db","mode":"managed","metadata":5}""", "metadata")]
    public void A_call_that_does_not_fit_names_its_parameter(string json, string parameter)
    {
        Assert.False(VarlinkParameters.TryRead(JsonNode.Parse(json)!.AsObject(), Json.CreateSessionParameters, out _, out string? bad));
        Assert.Equal(parameter, bad);
    }

    [Fact]
    public void Wrongly_typed_integers_and_flags_are_refused()
    {
        Assert.False(VarlinkParameters.TryRead(new JsonObject { ["session"] = "db", ["name"] = "x", ["fd"] = "zero" }, Json.PreserveParameters, out _, out string? bad));
        Assert.Equal("fd", bad);
        Assert.False(VarlinkParameters.TryRead(new JsonObject { ["kernel"] = "/boot/k", ["reuseCommandLine"] = "yes" }, Json.KexecParameters, out _, out bad));
        Assert.Equal("reuseCommandLine", bad);
    }

    [Fact]
    public void Enum_wire_names_round_trip()
    {
        foreach (var state in Enum.GetValues<SessionState>())
        {
            Assert.True(LiveUpdateProtocolWireNames.TryParse(state.ToWireName(), out SessionState back));
            Assert.Equal(state, back);
        }
        Assert.Equal("rebooting", UpdateProgressPhase.Rebooting.ToWireName());
        Assert.Equal("subscribed", UpdateEventKind.Subscribed.ToWireName());
        Assert.False(LiveUpdateProtocolWireNames.TryParse("Open", out SessionState _));
    }

    [Fact]
    public void The_generated_names_are_the_interface_files()
    {
        var idl = VarlinkIdlParser.Parse(LiveUpdateProtocol.Description);
        Assert.Equal(idl.Methods.Select(m => $"{idl.Name}.{m.Name}"), LiveUpdateProtocol.Methods.All);
        Assert.Equal(idl.Errors.Select(e => $"{idl.Name}.{e.Name}"), LiveUpdateProtocol.Errors.All);
        Assert.Equal(LiveUpdateProtocol.InterfaceName, idl.Name);
        Assert.Equal(new VarlinkInterface(LiveUpdateProtocol.Description).DeclaredMethods.Order(), idl.Methods.Select(m => m.Name).Order());
    }

    [Fact]
    public void The_embedded_description_is_the_source_file()
    {
        string directory = AppContext.BaseDirectory;
        while (!System.IO.File.Exists(Path.Combine(directory, "LiveUpdate.sln")))
            directory = Path.GetDirectoryName(directory) ?? throw new InvalidOperationException("LiveUpdate.sln not found above the test's directory");
        Assert.Equal(System.IO.File.ReadAllText(Path.Combine(directory, "src", "LiveUpdate.Protocol", "io.liveupdate.varlink")), LiveUpdateProtocol.Description);
    }
}
