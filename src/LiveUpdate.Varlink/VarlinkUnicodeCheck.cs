// VarlinkUnicodeCheck: JSON lets a string carry an unpaired UTF-16 surrogate escape
// ("\ud800"), which is no Unicode text; System.Text.Json only fails on it when the string is
// materialized, deep inside a handler, as an InvalidOperationException. The server checks
// every string value (at any depth) of a call's parameters before the method runs, so such a
// call is answered org.varlink.service.InvalidParameter naming the top-level parameter that
// holds it, for every method alike. Member names need no check here: a name with an unpaired
// surrogate escape is a protocol violation already in VarlinkWireFormat.Decode.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LiveUpdate.Varlink;

internal static class VarlinkUnicodeCheck
{
    /// <summary>The top-level parameter holding an unpaired surrogate, or null when all strings are well formed.</summary>
    public static string? FindParameterWithUnpairedSurrogate(JsonObject parameters)
    {
        foreach (var (name, value) in parameters)
            if (value is not null && !IsWellFormed(value))
                return name;
        return null;
    }

    private static bool IsWellFormed(JsonNode node)
    {
        try
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (_, value) in obj)
                        if (value is not null && !IsWellFormed(value)) return false;
                    return true;
                case JsonArray array:
                    foreach (var item in array)
                        if (item is not null && !IsWellFormed(item)) return false;
                    return true;
                case JsonValue value when value.GetValueKind() is JsonValueKind.String:
                    return value.TryGetValue(out string? text) && IsWellFormed(text);
                default:
                    return true;
            }
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static bool IsWellFormed(string text) => !text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF') || IsPaired(text);

    private static bool IsPaired(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            if (char.IsSurrogate(text[i])) return false;
        }
        return true;
    }
}
