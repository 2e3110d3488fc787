// CertificationService: org.varlink.certification served by our VarlinkServer, so the
// Varlink project's reference client (varlink-go-certification -client) can test our server
// side. Each method checks its argument is exactly what the previous reply handed out (as
// the reference server does) and answers CertificationError otherwise; End reports all_ok
// only when every step of that client's sequence, oneway Test11 included, arrived right.
using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace LiveUpdate.Varlink.Tests;

internal sealed class CertificationService : IAsyncDisposable
{
    private const string Interface = "org.varlink.certification";
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, int> _passedSteps = new();

    private CertificationService(string directory)
    {
        Directory = directory;
        SocketPath = Path.Combine(directory, "cert.sock");
        var server = new VarlinkServer(new VarlinkServiceInfo("LiveUpdate", "certification service", "1", "https://example.invalid/liveupdate"));
        server.AddInterface(Define(File.ReadAllText(DescriptionPath)));
        Running = server.RunAsync(SocketPath, _stop.Token);
    }

    /// <summary>The interface text as Debian's varlink-go ships it.</summary>
    public const string DescriptionPath =
        "/usr/share/gocode/src/github.com/varlink/go/cmd/varlink-go-certification/orgvarlinkcertification/org.varlink.certification.varlink";

    public string Directory { get; }
    public string SocketPath { get; }
    public Task Running { get; }
    /// <summary>Clients whose End found every step passed.</summary>
    public ConcurrentQueue<string> CertifiedClients { get; } = new();
    /// <summary>Why a step was refused, for the test's failure message.</summary>
    public ConcurrentQueue<string> Refusals { get; } = new();

    public static CertificationService Start() =>
        new(Path.Combine(Path.GetTempPath(), $"lu-vl-certsrv-{Guid.NewGuid():N}"));

    private static JsonObject Struct() => new() { ["bool"] = false, ["int"] = 2, ["float"] = Math.PI, ["string"] = "a lot of string" };
    private static JsonObject Map() => new() { ["bar"] = "Bar", ["foo"] = "Foo" };
    private static JsonObject Set() => new() { ["one"] = new JsonObject(), ["two"] = new JsonObject(), ["three"] = new JsonObject() };
    private static JsonObject MyType() => new()
    {
        ["object"] = new JsonObject { ["method"] = $"{Interface}.Test09", ["parameters"] = new JsonObject { ["map"] = Map() } },
        ["enum"] = "two",
        ["struct"] = new JsonObject { ["first"] = 1, ["second"] = "2" },
        ["array"] = new JsonArray("one", "two", "three"),
        ["dictionary"] = Map(),
        ["stringset"] = Set(),
        ["interface"] = new JsonObject
        {
            ["foo"] = new JsonArray(null, new JsonObject { ["Foo"] = "foo", ["Bar"] = "bar" }, null, new JsonObject { ["one"] = "foo", ["two"] = "bar" }),
            ["anon"] = new JsonObject { ["foo"] = true, ["bar"] = false },
        },
    };
    private static IEnumerable<string> Replies() => Enumerable.Range(1, 10).Select(i => $"Reply number {i}");

    private VarlinkInterface Define(string description)
    {
        var definition = new VarlinkInterface(description);
        definition.AddMethod("Start", call =>
        {
            string id = Guid.NewGuid().ToString();
            _passedSteps[id] = 0;
            return call.ReplyAsync(new JsonObject { ["client_id"] = id });
        });
        Step(definition, 1, "Test01", _ => true, () => new JsonObject { ["bool"] = true });
        Step(definition, 2, "Test02", p => p["bool"]?.GetValueKind() is System.Text.Json.JsonValueKind.True, () => new JsonObject { ["int"] = 1 });
        Step(definition, 3, "Test03", p => Same(p["int"], 1), () => new JsonObject { ["float"] = 1.0 });
        Step(definition, 4, "Test04", p => Same(p["float"], 1.0), () => new JsonObject { ["string"] = "ping" });
        Step(definition, 5, "Test05", p => Same(p["string"], "ping"), Struct);
        Step(definition, 6, "Test06", p => Same(Without(p, "client_id"), Struct()), () => new JsonObject { ["struct"] = Struct() });
        Step(definition, 7, "Test07", p => Same(p["struct"], Struct()), () => new JsonObject { ["map"] = Map() });
        Step(definition, 8, "Test08", p => Same(p["map"], Map()), () => new JsonObject { ["set"] = Set() });
        Step(definition, 9, "Test09", p => Same(p["set"], Set()), () => new JsonObject { ["mytype"] = MyType() });
        definition.AddMethod("Test10", async call =>
        {
            if (!Check(call, 10, call.More && SameMyType(call.Parameters["mytype"])))
            {
                await Refuse(call);
                return;
            }
            var replies = Replies().ToList();
            for (int i = 0; i < replies.Count - 1; i++)
                await call.NotifyAsync(new JsonObject { ["string"] = replies[i] });
            await call.ReplyAsync(new JsonObject { ["string"] = replies[^1] });
        });
        definition.AddMethod("Test11", call =>
        {
            var expected = new JsonArray(Replies().Select(reply => (JsonNode?)reply).ToArray());
            return Check(call, 11, call.Oneway && Same(call.Parameters["last_more_replies"], expected)) ? call.ReplyAsync() : Refuse(call);
        });
        definition.AddMethod("End", call =>
        {
            string? id = (string?)call.Parameters["client_id"];
            if (id is null || !_passedSteps.TryRemove(id, out int passed))
                return call.ReplyErrorAsync($"{Interface}.ClientIdError");
            bool allOk = passed == 11;
            if (allOk) CertifiedClients.Enqueue(id);
            else Refusals.Enqueue($"End: client {id} passed {passed} of 11 steps");
            return call.ReplyAsync(new JsonObject { ["all_ok"] = allOk });
        });
        return definition;
    }

    private void Step(VarlinkInterface definition, int step, string method, Func<JsonObject, bool> valid, Func<JsonObject> reply) =>
        definition.AddMethod(method, call => Check(call, step, valid(call.Parameters)) ? call.ReplyAsync(reply()) : Refuse(call));

    /// <summary>Records step <paramref name="step"/> as passed when it comes in order from a known client with the right argument.</summary>
    private bool Check(VarlinkCallContext call, int step, bool valid)
    {
        string? id = (string?)call.Parameters["client_id"];
        if (id is null || !_passedSteps.TryGetValue(id, out int passed) || !valid || passed != step - 1)
        {
            Refusals.Enqueue($"{call.Method} step {step}: {call.Parameters.ToJsonString()}");
            return false;
        }
        _passedSteps[id] = step;
        return true;
    }

    private static Task Refuse(VarlinkCallContext call) =>
        call.ReplyErrorAsync($"{Interface}.CertificationError", new JsonObject { ["wants"] = null, ["got"] = call.Parameters.DeepClone() });

    private static JsonObject Without(JsonObject parameters, string name)
    {
        var copy = parameters.DeepClone().AsObject();
        copy.Remove(name);
        return copy;
    }

    private static bool Same(JsonNode? got, JsonNode? wants) => JsonNode.DeepEquals(got, wants);

    /// <summary>MyType as sent back: absent and null optionals are the same; "object" compared as JSON.</summary>
    private static bool SameMyType(JsonNode? got)
    {
        if (got is not JsonObject value) return false;
        var normalized = value.DeepClone().AsObject();
        foreach (string optional in new[] { "nullable", "nullable_array_struct" })
            if (normalized[optional] is null) normalized.Remove(optional);
        return Same(normalized, MyType());
    }

    private static bool Same(JsonNode? got, double wants) => got is JsonValue value && value.TryGetValue(out double number) && number == wants;

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { await Running.WaitAsync(TimeSpan.FromSeconds(10)); } catch (OperationCanceledException) { }
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
