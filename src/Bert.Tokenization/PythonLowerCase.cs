using System.Globalization;
using System.Text;

namespace Bert.Tokenization;

/// <summary>
/// Python's <c>str.lower()</c>, which the reference tokenizers call: .NET's invariant lower-casing is the simple
/// per-character mapping, Python's the full one. They differ in two places: U+0130 (İ) becomes <c>i</c> + U+0307
/// (two characters; .NET leaves it unchanged), and a capital sigma at the end of a word becomes the final sigma
/// <c>ς</c> (Unicode's Final_Sigma context, as CPython's <c>handle_capital_sigma</c>). Hugging Face lower-cases one
/// character at a time (a regular expression over single characters, and the Rust normalizer's <c>char::to_lowercase</c>),
/// so it has no final-sigma context: <c>finalSigma: false</c> gives that. The final-sigma context skips the characters
/// that Google's <c>_clean_text</c> removes before lower-casing (NUL, U+FFFD, control characters but tab and line ends),
/// so the result is that of <c>str.lower()</c> on the cleaned text.
/// </summary>
internal static class PythonLowerCase
{
    private const char CapitalSigma = '\u03A3';
    private const char DottedCapitalI = '\u0130';

    public static string Lower(string text, bool finalSigma)
    {
        if (text.AsSpan().IndexOfAny(CapitalSigma, DottedCapitalI) < 0)
            return text.ToLowerInvariant();
        var builder = new StringBuilder(text.Length + 4);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == DottedCapitalI)
                builder.Append('i').Append('\u0307');
            else if (c == CapitalSigma)
                builder.Append(finalSigma && IsFinalSigma(text, i) ? '\u03C2' : '\u03C3');
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                builder.Append(Rune.ToLowerInvariant(new Rune(c, text[++i])).ToString());
            else
                builder.Append(char.ToLowerInvariant(c));
        }
        return builder.ToString();
    }

    /// <summary>\p{cased}\p{case-ignorable}* Σ !(\p{case-ignorable}* \p{cased}).</summary>
    private static bool IsFinalSigma(string text, int index)
    {
        var j = index;
        Rune before = default;
        var found = false;
        while (j > 0)
        {
            Rune.DecodeLastFromUtf16(text.AsSpan(0, j), out before, out var used);
            j -= used;
            if (!IsCaseIgnorable(before) && !IsCleanedAway(before))
            {
                found = true;
                break;
            }
        }
        if (!found || !IsCased(before))
            return false;
        for (var k = index + 1; k < text.Length;)
        {
            Rune.DecodeFromUtf16(text.AsSpan(k), out var after, out var used);
            k += used;
            if (!IsCaseIgnorable(after) && !IsCleanedAway(after))
                return !IsCased(after);
        }
        return true;
    }

    /// <summary>What Google's <c>_clean_text</c> drops before its words are lower-cased.</summary>
    private static bool IsCleanedAway(Rune r) =>
        r.Value is 0 or 0xFFFD || (Rune.GetUnicodeCategory(r) == UnicodeCategory.Control && r.Value is not ('\t' or '\n' or '\r'));

    /// <summary>Unicode's Cased property: lower-case, upper-case and title-case letters (with the Other_Lowercase/Other_Uppercase letters and symbols such as ª, ʰ, Ⓐ).</summary>
    private static bool IsCased(Rune r) => Rune.GetUnicodeCategory(r) switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter => true,
        // Other_Lowercase and Other_Uppercase outside the modifier letters (which are case-ignorable, so never asked):
        // ª º and the squared, circled and negative Latin capitals; the rest of them have case mappings.
        _ => Rune.ToLowerInvariant(r) != r || Rune.ToUpperInvariant(r) != r
            || r.Value is 0xAA or 0xBA or (>= 0x1F130 and <= 0x1F149) or (>= 0x1F150 and <= 0x1F169) or (>= 0x1F170 and <= 0x1F189),
    };

    /// <summary>Unicode's Case_Ignorable: marks, format characters, modifier letters and symbols, and the word-internal punctuation ' . : · ’ and the like.</summary>
    private static bool IsCaseIgnorable(Rune r) => Rune.GetUnicodeCategory(r) switch
    {
        UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format
            or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol => true,
        _ => r.Value is '\'' or '.' or ':' or '^' or '`' or 0x00B7 or 0x0387 or 0x055F or 0x05F4 or 0x2018 or 0x2019 or 0x2024 or 0x2027
            or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A,
    };
}
