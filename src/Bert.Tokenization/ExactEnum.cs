namespace Bert.Tokenization;

/// <summary>
/// Parses an enum name read from a file exactly: one of the declared names, spelled and cased as declared. Unlike
/// <see cref="Enum.Parse{TEnum}(string)"/> it refuses numbers (<c>"1"</c>), flag lists (<c>"Cls, Pooler"</c>),
/// surrounding spaces and other casings, which would otherwise quietly become some member. The one enum parser for
/// configs and saved models.
/// </summary>
internal static class ExactEnum
{
    /// <summary>The member named exactly <paramref name="text"/>.</summary>
    /// <param name="text">The stored name.</param>
    /// <param name="field">The field it was read from, for the message (<c>bert_net.pooling</c>).</param>
    /// <param name="source">The file, for the message.</param>
    /// <exception cref="InvalidDataException">Not exactly a declared name; the message lists the names.</exception>
    public static TEnum Parse<TEnum>(string? text, string field, string source)
        where TEnum : struct, Enum
    {
        if (text is not null)
        {
            foreach (var name in Enum.GetNames<TEnum>())
            {
                if (string.Equals(name, text, StringComparison.Ordinal))
                    return Enum.Parse<TEnum>(name);
            }
        }
        throw new InvalidDataException(
            $"{source}: '{field}' is {(text is null ? "missing" : $"\"{text}\"")}; expected one of {string.Join(", ", Enum.GetNames<TEnum>())}");
    }
}
