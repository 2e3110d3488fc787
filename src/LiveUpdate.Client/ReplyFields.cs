// ReplyFields: reads the fields of luod's replies out of JsonNode/JsonObject (no reflection),
// and turns a missing or mistyped field into a LuodProtocolException naming the field, so a
// daemon/client version mismatch says what was wrong instead of throwing a null reference.
using System.Text.Json.Nodes;
using LiveUpdate.Client.Errors;

namespace LiveUpdate.Client;

internal static class ReplyFields
{
    public static JsonObject Object(JsonNode? node, string where) =>
        node as JsonObject ?? throw new LuodProtocolException($"luod's reply has no object at '{where}'.");

    public static JsonArray Array(JsonObject parent, string field, string where) =>
        parent[field] as JsonArray ?? throw Missing(where, field, "an array");

    public static string String(JsonObject parent, string field, string where) =>
        OptionalString(parent, field, where) ?? throw Missing(where, field, "a string");

    public static string? OptionalString(JsonObject parent, string field, string where)
    {
        var node = parent[field];
        if (node is null) return null;
        return node is JsonValue value && value.TryGetValue(out string? text) ? text : throw Missing(where, field, "a string");
    }

    public static long Int64(JsonObject parent, string field, string where) =>
        OptionalInt64(parent, field, where) ?? throw Missing(where, field, "an integer");

    public static long? OptionalInt64(JsonObject parent, string field, string where)
    {
        var node = parent[field];
        if (node is null) return null;
        if (node is JsonValue value)
        {
            if (value.TryGetValue(out long number)) return number;
            if (value.TryGetValue(out int small)) return small;
            if (value.TryGetValue(out ulong large) && large <= long.MaxValue) return (long)large;
            if (value.TryGetValue(out double real) && real == Math.Floor(real) && Math.Abs(real) < 9.2e18) return (long)real;
        }
        throw Missing(where, field, "an integer");
    }

    public static bool Boolean(JsonObject parent, string field, string where) =>
        parent[field] is JsonValue value && value.TryGetValue(out bool flag) ? flag : throw Missing(where, field, "a boolean");

    public static byte[]? OptionalBase64(JsonObject parent, string field, string where)
    {
        string? text = OptionalString(parent, field, where);
        if (text is null) return null;
        try { return Convert.FromBase64String(text); }
        catch (FormatException) { throw Invalid(where, field, text); }
    }

    public static LuodProtocolException Invalid(string where, string field, string value) =>
        new($"luod's reply has an unexpected value '{value}' for '{where}.{field}'; is luod a different version of LiveUpdate than this client?");

    private static LuodProtocolException Missing(string where, string field, string what) =>
        new($"luod's reply lacks '{where}.{field}' as {what}; is luod a different version of LiveUpdate than this client?");
}
