// VarlinkMessageTests: calls, replies and interface definitions parsed and checked the way
// sd-varlink checks them, without any socket.
using System.Text.Json.Nodes;

namespace LiveUpdate.Varlink.Tests;

public sealed class VarlinkMessageTests
{
    [Fact]
    public void A_call_is_read_with_its_flags_and_detached_parameters()
    {
        var message = JsonNode.Parse("""{"method":"a.b.C","parameters":{"x":1},"more":true,"future":"ignored"}""")!.AsObject();
        var call = VarlinkCall.FromMessage(message);
        Assert.Equal("a.b.C", call.Method);
        Assert.True(call.More);
        Assert.False(call.Oneway);
        Assert.Null(call.Parameters.Parent);
        Assert.Equal(1, (int?)call.Parameters["x"]);
    }

    [Theory]
    [InlineData("""{"method":"a.b.C"}""")]
    [InlineData("""{"method":"a.b.C","parameters":null}""")]
    [InlineData("""{"method":"a.b.C","oneway":null,"more":false}""")]
    public void Absent_or_null_parameters_are_an_empty_object(string text)
    {
        var call = VarlinkCall.FromMessage(JsonNode.Parse(text)!.AsObject());
        Assert.Empty(call.Parameters);
        Assert.False(call.Oneway || call.More || call.Upgrade);
    }

    [Fact]
    public void Replies_are_read_and_checked()
    {
        var ok = VarlinkReply.FromMessage(JsonNode.Parse("""{"parameters":{"a":1},"continues":true}""")!.AsObject());
        Assert.True(ok.Continues);
        Assert.False(ok.IsError);
        var error = VarlinkReply.FromMessage(JsonNode.Parse("""{"error":"x.y.Z"}""")!.AsObject());
        Assert.Equal("x.y.Z", error.Error);
        Assert.Empty(error.Parameters);
        Assert.Throws<VarlinkProtocolException>(() => VarlinkReply.FromMessage(JsonNode.Parse("""{"error":"x.y.Z","continues":true}""")!.AsObject()));
        Assert.Throws<VarlinkProtocolException>(() => VarlinkReply.FromMessage(JsonNode.Parse("""{"error":5}""")!.AsObject()));
        Assert.Throws<VarlinkProtocolException>(() => VarlinkReply.FromMessage(JsonNode.Parse("""{"parameters":"x"}""")!.AsObject()));
    }

    [Fact]
    public void A_call_cannot_be_oneway_and_more()
    {
        Assert.Throws<ArgumentException>(() => new VarlinkCall("a.b.C", oneway: true, more: true));
        Assert.Throws<ArgumentException>(() => new VarlinkReply(error: "a.b.E", continues: true));
    }

    [Fact]
    public void An_interface_takes_its_name_and_methods_from_its_description()
    {
        var definition = new VarlinkInterface("""
            # comment: method Hidden(
            interface io.liveupdate.Example # trailing comment
            method One() -> ()
              method Two(a: int) -> (b: int)
            """);
        Assert.Equal("io.liveupdate.Example", definition.Name);
        Assert.Equal(["One", "Two"], definition.DeclaredMethods.Order());
        definition.AddMethod("One", call => call.ReplyAsync());
        var undeclared = Assert.Throws<ArgumentException>(() => definition.AddMethod("Three", call => call.ReplyAsync()));
        Assert.Contains("does not declare a method 'Three'", undeclared.Message);
        Assert.Throws<ArgumentException>(() => definition.AddMethod("One", call => call.ReplyAsync()));
        Assert.Equal(["One"], definition.ImplementedMethods);
    }

    [Fact]
    public void A_method_may_be_registered_by_its_qualified_name()
    {
        var definition = new VarlinkInterface("interface a.b\nmethod One() -> ()\nmethod Two() -> ()");
        definition.AddMethod("a.b.Two", call => call.ReplyAsync());
        Assert.Equal(["Two"], definition.ImplementedMethods);
        Assert.Throws<ArgumentException>(() => definition.AddMethod("a.b.Two", call => call.ReplyAsync()));
        Assert.Throws<ArgumentException>(() => definition.AddMethod("c.d.One", call => call.ReplyAsync()));
    }

    [Theory]
    [InlineData("method One() -> ()", "no 'interface <name>' line")]
    [InlineData("interface nodots\nmethod One() -> ()", "not a valid Varlink interface name")]
    [InlineData("interface a.b\ninterface c.d", "more than one interface")]
    public void A_bad_description_is_refused_with_the_reason(string description, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => new VarlinkInterface(description));
        Assert.Contains(expected, error.Message);
    }
}
