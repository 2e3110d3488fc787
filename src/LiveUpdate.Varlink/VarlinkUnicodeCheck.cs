// VarlinkUnicodeCheck: JSON lets a string carry an unpaired UTF-16 surrogate escape
// ("\ud800"), which is no Unicode text; System.Text.Json only fails on it when the string is
// materialized, deep inside a handler, as an InvalidOperationException. The server checks
// every string (values and member names, at any depth) of a call's parameters before the
// method runs, so such a call is answered org.varlink.service.InvalidParameter naming the
// top-level parameter that holds it, for every method alike.
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LiveUpdate.Varlink;

internal static class VarlinkUnicodeCheck
{
    /// <summary>The top-level parameter holding an unpaired surrogate, or null when all strings are well formed.</summary>
    public static string? FindParameterWithUnpairedSurrogate(JsonObject parameters)
    {
        foreach (var (name, value) in EnumerateSafely(parameters))
        {
            if (name is null)
                return "parameters";
            if (!IsWellFormed(name))
                return Repaired(name);
            if (value is not null && !IsWellFormed(value))
                return name;
        }
        return null;
    }

    // A member name with an unpaired surrogate cannot be read as a string either; such an
    // object yields a null name once.
    private static IEnumerable<(string? Name, JsonNode? Value)> EnumerateSafely(JsonObject parameters)
    {
        var result = new List<(string?, JsonNode?)>();
        try
        {
            foreach (var (name, value) in parameters)
                result.Add((name, value));
        }
        catch (InvalidOperationException)
        {
            result.Add((null, null));
        }
        return result;
    }

    private static bool IsWellFormed(JsonNode node)
    {
        try
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (name, value) in obj)
                        if (!IsWellFormed(name) || (value is not null && !IsWellFormed(value))) return false;
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

    private static string Repaired(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes()) builder.Append(rune.ToString());
        return builder.ToString();
    }
}
