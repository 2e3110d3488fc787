// VarlinkIdlParserTests: the generator's parser on small interfaces — comments as docs,
// primitives, named types, arrays, maps, nullables, inline and named enums, errors — and
// on broken ones (the message names the line), plus io.liveupdate.varlink itself.
using LiveUpdate.Protocol.Generator;

namespace LiveUpdate.Protocol.Tests;

public sealed class VarlinkIdlParserTests
{
    private const string Sample = """
        # The sample interface.
        interface org.example.sample

        # A thing.
        type Thing (
          name: string,
          count: int,
          ratio: float,
          on: bool,
          extra: object,
          note: ?string,
          tags: []string,
          sizes: ?[]int,
          labels: [string]string,
          color: (red, green, light_blue)
        )

        type Shape (circle, square)

        # Makes a thing.
        method Make(name: string, color: (red, green, light_blue), shape: ?Shape) -> (thing: Thing, index: ?int)

        method Ping() -> ()

        error NoSuchThing (name: string)
        error Broken ()
        """;

    [Fact]
    public void Reads_types_methods_errors_and_their_comments()
    {
        var idl = VarlinkIdlParser.Parse(Sample);
        Assert.Equal("org.example.sample", idl.Name);
        Assert.Equal("The sample interface.", idl.Doc);

        var thing = Assert.IsType<IdlStruct>(idl.Types[0].Type);
        Assert.Equal("A thing.", idl.Types[0].Doc);
        Assert.Equal(["name", "count", "ratio", "on", "extra", "note", "tags", "sizes", "labels", "color"], thing.Fields.Select(f => f.Name));
        Assert.Equal(new IdlPrimitive("string"), thing.Fields[0].Type);
        Assert.Equal(new IdlPrimitive("int"), thing.Fields[1].Type);
        Assert.Equal(new IdlPrimitive("float"), thing.Fields[2].Type);
        Assert.Equal(new IdlPrimitive("bool"), thing.Fields[3].Type);
        Assert.Equal(new IdlPrimitive("object"), thing.Fields[4].Type);
        Assert.Equal(new IdlNullable(new IdlPrimitive("string")), thing.Fields[5].Type);
        Assert.Equal(new IdlArray(new IdlPrimitive("string")), thing.Fields[6].Type);
        Assert.Equal(new IdlNullable(new IdlArray(new IdlPrimitive("int"))), thing.Fields[7].Type);
        Assert.Equal(new IdlMap(new IdlPrimitive("string")), thing.Fields[8].Type);
        Assert.Equal(["red", "green", "light_blue"], Assert.IsType<IdlEnum>(thing.Fields[9].Type).Values);

        Assert.Equal(["circle", "square"], Assert.IsType<IdlEnum>(idl.Types[1].Type).Values);
        Assert.Null(idl.Types[1].Doc);

        var make = idl.Methods[0];
        Assert.Equal("Make", make.Name);
        Assert.Equal("Makes a thing.", make.Doc);
        Assert.Equal(new IdlNullable(new IdlNamed("Shape")), make.Input.Fields[2].Type);
        Assert.Equal(new IdlNamed("Thing"), make.Output.Fields[0].Type);
        Assert.Empty(idl.Methods[1].Input.Fields);
        Assert.Empty(idl.Methods[1].Output.Fields);

        Assert.Equal(["NoSuchThing", "Broken"], idl.Errors.Select(e => e.Name));
        Assert.Empty(idl.Errors[1].Parameters.Fields);
    }

    [Theory]
    [InlineData("type X (a: string)", "expected 'interface'")]
    [InlineData("interface a.b\ntype X (a: strin)", "Line 2: 'strin' is not a type")]
    [InlineData("interface a.b\nmethod M(a: string) (b: int)", "Line 2: expected '->'")]
    [InlineData("interface a.b\ntype X (a: int, a: int)", "field 'a' appears twice")]
    [InlineData("interface a.b\ntype X (a: int)\ntype X (b: int)", "'X' is declared twice")]
    [InlineData("interface a.b\nmethod M(a: Missing) -> ()", "declares no 'type Missing'")]
    [InlineData("interface a.b\nmethod M(a: int) -> (", "expected a field name or enum value")]
    public void A_broken_interface_says_where_and_what(string text, string message)
    {
        var error = Assert.Throws<FormatException>(() => VarlinkIdlParser.Parse(text));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Reads_io_liveupdate()
    {
        var idl = VarlinkIdlParser.Parse(LiveUpdateProtocol.Description);
        Assert.Equal("io.liveupdate", idl.Name);
        Assert.Equal(["File", "Session", "Status", "UpdateEvent", "UpdateProgress", "OwnerSessions", "PreflightState", "MetricsState"], idl.Types.Select(t => t.Name));
        var session = (IdlStruct)idl.Types.Single(t => t.Name == "Session").Type;
        Assert.Equal(new IdlNullable(new IdlPrimitive("string")), session.Fields.Single(f => f.Name == "metadata").Type);
        Assert.Equal(new IdlArray(new IdlNamed("File")), session.Fields.Single(f => f.Name == "files").Type);
        Assert.Equal(16, idl.Methods.Count);
        Assert.Equal(15, idl.Errors.Count);
        Assert.Equal(["parameter", "reason"], idl.Errors.Single(e => e.Name == "InvalidParameter").Parameters.Fields.Select(f => f.Name));
    }
}
