namespace Bert.Classification.Metrics;

/// <summary>
/// Orders strings by Unicode code point, as numpy sorts <c>str</c> arrays (and so scikit-learn orders labels).
/// Ordinal UTF-16 order differs from it only when a supplementary character (a surrogate pair) meets a character
/// in U+E000–U+FFFF.
/// </summary>
internal sealed class CodePointComparer : IComparer<string>
{
    public static CodePointComparer Instance { get; } = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
            return 0;
        if (x is null)
            return -1;
        if (y is null)
            return 1;
        var a = x.EnumerateRunes();
        var b = y.EnumerateRunes();
        while (true)
        {
            var hasA = a.MoveNext();
            var hasB = b.MoveNext();
            if (!hasA || !hasB)
                return hasA.CompareTo(hasB);
            var c = a.Current.Value.CompareTo(b.Current.Value);
            if (c != 0)
                return c;
        }
    }
}
