namespace Bert.Cli;

/// <summary>TSV fields that cannot break columns or rows: backslash, tab and line breaks are written as <c>\\</c>, <c>\t</c>, <c>\n</c>, <c>\r</c>.</summary>
internal static class Tsv
{
    public static string Escape(string field) =>
        field.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal);
}
