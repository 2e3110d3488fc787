// BenchDetail: the detail text of the benchmark's steps, "key=value key=value …" (no spaces in
// values), readable in a console log and parsed back by luvm. Part of the guest contract, so both
// sides agree on the format; numbers use the invariant culture.
using System.Globalization;

namespace LiveUpdate.GuestContract;

public static class BenchDetail
{
    /// <summary>Formats pairs as "key=value …"; doubles with 3 decimals, spaces in values become '_'.</summary>
    public static string Format(params (string Key, object Value)[] pairs) =>
        string.Join(' ', pairs.Select(p => $"{p.Key}={Value(p.Value)}"));

    /// <summary>Reads "key=value …" back; words without '=' are skipped.</summary>
    public static IReadOnlyDictionary<string, string> Parse(string? detail)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string word in (detail ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = word.IndexOf('=');
            if (equals > 0) values[word[..equals]] = word[(equals + 1)..];
        }
        return values;
    }

    /// <summary>The number under <paramref name="key"/>, or null when absent or not a number.</summary>
    public static double? Number(IReadOnlyDictionary<string, string> values, string key) =>
        values.TryGetValue(key, out string? text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            ? value
            : null;

    private static string Value(object value) => value switch
    {
        double d => d.ToString("0.###", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => (value.ToString() ?? "").Replace(' ', '_'),
    };
}
