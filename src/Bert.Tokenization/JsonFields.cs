using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Bert.Tokenization;

/// <summary>
/// Typed reads of the fields of a hand-editable JSON file (a saved classifier's <c>config.json</c>, an export's
/// <c>serving.json</c>). A field of the wrong JSON kind or out of range is refused with an
/// <see cref="InvalidDataException"/> naming the file, the field, the value as written and what is expected, instead
/// of <c>JsonNode.GetValue</c>'s bare <see cref="InvalidOperationException"/> or a silent default. A missing field
/// (or JSON <c>null</c>) is null for the optional readers. Enum names: <see cref="ExactEnum"/>.
/// </summary>
internal static class JsonFields
{
    /// <summary>The object at <paramref name="key"/>; null when absent.</summary>
    /// <param name="node">The object holding the field.</param>
    /// <param name="key">The key inside <paramref name="node"/>.</param>
    /// <param name="field">The field's full name for the message (<c>bert_net</c>, <c>bert_net.threshold</c>).</param>
    /// <param name="path">The file, for the message.</param>
    public static JsonObject? OptionalObject(JsonObject node, string key, string field, string path) => node[key] switch
    {
        null => null,
        JsonObject o => o,
        var other => throw Invalid(path, field, other, "an object"),
    };

    /// <summary>A whole number in [<paramref name="min"/>, <paramref name="max"/>]; null when absent.</summary>
    public static int? OptionalInt(JsonObject node, string key, string field, string path, int min = int.MinValue, int max = int.MaxValue) => node[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out int n) && n >= min && n <= max => n,
        var other => throw Invalid(path, field, other, $"a whole number{Range(min, max)}"),
    };

    /// <summary>A whole number in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static int RequiredInt(JsonObject node, string key, string field, string path, int min = int.MinValue, int max = int.MaxValue) =>
        OptionalInt(node, key, field, path, min, max) ?? throw Invalid(path, field, null, $"a whole number{Range(min, max)}");

    /// <summary>A finite number strictly between <paramref name="low"/> and <paramref name="high"/> (inclusive where said); null when absent.</summary>
    public static double? OptionalNumber(JsonObject node, string key, string field, string path, double low, double high, bool inclusive) => node[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out double d) && double.IsFinite(d)
            && (inclusive ? d >= low && d <= high : d > low && d < high) => d,
        var other => throw Invalid(path, field, other, string.Create(CultureInfo.InvariantCulture,
            $"a number in {(inclusive ? "[" : "(")}{low}, {high}{(inclusive ? "]" : ")")}")),
    };

    /// <summary>JSON <c>true</c> or <c>false</c>; null when absent.</summary>
    public static bool? OptionalBool(JsonObject node, string key, string field, string path) => node[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        var other => throw Invalid(path, field, other, "true or false"),
    };

    /// <summary>A JSON string.</summary>
    public static string RequiredString(JsonObject node, string key, string field, string path) => node[key] switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        var other => throw Invalid(path, field, other, "a string"),
    };

    /// <summary>A JSON string naming a member of <typeparamref name="TEnum"/> exactly (see <see cref="ExactEnum"/>).</summary>
    public static TEnum RequiredEnum<TEnum>(JsonObject node, string key, string field, string path)
        where TEnum : struct, Enum => node[key] switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.String => ExactEnum.Parse<TEnum>(v.GetValue<string>(), field, path),
            var other => throw Invalid(path, field, other, $"one of {string.Join(", ", Enum.GetNames<TEnum>())} (a string)"),
        };

    /// <summary>The message: file, field, the value as written (or missing) and what is expected.</summary>
    public static InvalidDataException Invalid(string path, string field, JsonNode? value, string expected) =>
        new($"{path}: '{field}' is {(value is null ? "missing" : value.ToJsonString())}; expected {expected}.");

    private static string Range(int min, int max) => (min, max) switch
    {
        (int.MinValue, int.MaxValue) => "",
        (_, int.MaxValue) => string.Create(CultureInfo.InvariantCulture, $" of at least {min}"),
        _ => string.Create(CultureInfo.InvariantCulture, $" in {min}..{max}"),
    };
}
