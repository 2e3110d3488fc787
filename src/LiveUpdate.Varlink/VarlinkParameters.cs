// VarlinkParameters: a call's or reply's "parameters" object to and from a typed record
// through System.Text.Json source-generated metadata (JsonTypeInfo<T>, no reflection), so
// an interface's generated records travel as the JsonObjects the wire layer works with.
// A parameters object that does not fit the record names the first parameter at fault.
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace LiveUpdate.Varlink;

public static class VarlinkParameters
{
    /// <summary><paramref name="value"/> as a parameters object.</summary>
    public static JsonObject From<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return JsonSerializer.SerializeToNode(value, typeInfo) as JsonObject
            ?? throw new ArgumentException($"{typeof(T).Name} does not serialize to a JSON object; Varlink parameters are objects.", nameof(value));
    }

    /// <summary>
    /// Reads <paramref name="parameters"/> as a <typeparamref name="T"/>; false when a required
    /// parameter is missing or null, or one has the wrong type, with that parameter's name.
    /// </summary>
    public static bool TryRead<T>(JsonObject parameters, JsonTypeInfo<T> typeInfo, [NotNullWhen(true)] out T? value,
        [NotNullWhen(false)] out string? badParameter)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(typeInfo);
        try
        {
            value = parameters.Deserialize(typeInfo);
            if (value is not null)
            {
                badParameter = null;
                return true;
            }
        }
        catch (JsonException error)
        {
            value = default;
            badParameter = BadParameter(parameters, typeInfo, error.Path);
            return false;
        }
        value = default;
        badParameter = BadParameter(parameters, typeInfo, null);
        return false;
    }

    private static string BadParameter(JsonObject parameters, JsonTypeInfo typeInfo, string? path)
    {
        foreach (var property in typeInfo.Properties)
            if (property.IsRequired && parameters[property.Name] is null) return property.Name;
        // "$.fd", "$.files[0].name", "$['odd name']": the first member after the root.
        if (path is { Length: > 2 } && path.StartsWith("$.", StringComparison.Ordinal))
        {
            int end = path.IndexOfAny(['.', '['], 2);
            return end < 0 ? path[2..] : path[2..end];
        }
        if (path is { Length: > 4 } && path.StartsWith("$['", StringComparison.Ordinal) && path.IndexOf("']", 3, StringComparison.Ordinal) is > 3 and var close)
            return path[3..close];
        return typeInfo.Properties.Count > 0 ? typeInfo.Properties[0].Name : "parameters";
    }
}
