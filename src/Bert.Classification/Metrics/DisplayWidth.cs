using System.Globalization;
using System.Text;

namespace Bert.Classification.Metrics;

/// <summary>
/// The width of text in a monospaced terminal: East Asian Wide (W) and Fullwidth (F) characters (Unicode
/// <c>EastAsianWidth.txt</c>: CJK ideographs, kana, Hangul, fullwidth forms, most emoji) take two columns,
/// combining marks and format characters none, everything else one. Ambiguous (A) characters count as one,
/// as in non-East-Asian locales. The table is compact (blocks, not every code point of Unicode 16).
/// </summary>
internal static class DisplayWidth
{
    // Inclusive ranges of East Asian Wide (W) and Fullwidth (F) code points, sorted.
    private static readonly (int First, int Last)[] Wide =
    [
        (0x1100, 0x115F), (0x231A, 0x231B), (0x2329, 0x232A), (0x23E9, 0x23EC), (0x23F0, 0x23F0), (0x23F3, 0x23F3),
        (0x25FD, 0x25FE), (0x2614, 0x2615), (0x2648, 0x2653), (0x267F, 0x267F), (0x2693, 0x2693), (0x26A1, 0x26A1),
        (0x26AA, 0x26AB), (0x26BD, 0x26BE), (0x26C4, 0x26C5), (0x26CE, 0x26CE), (0x26D4, 0x26D4), (0x26EA, 0x26EA),
        (0x26F2, 0x26F3), (0x26F5, 0x26F5), (0x26FA, 0x26FA), (0x26FD, 0x26FD), (0x2705, 0x2705), (0x270A, 0x270B),
        (0x2728, 0x2728), (0x274C, 0x274C), (0x274E, 0x274E), (0x2753, 0x2755), (0x2757, 0x2757), (0x2795, 0x2797),
        (0x27B0, 0x27B0), (0x27BF, 0x27BF), (0x2B1B, 0x2B1C), (0x2B50, 0x2B50), (0x2B55, 0x2B55),
        (0x2E80, 0x303E), (0x3041, 0x3247), (0x3250, 0x4DBF), (0x4E00, 0xA4CF), (0xA960, 0xA97F), (0xAC00, 0xD7A3),
        (0xF900, 0xFAFF), (0xFE10, 0xFE19), (0xFE30, 0xFE6F), (0xFF00, 0xFF60), (0xFFE0, 0xFFE6),
        (0x16FE0, 0x16FE4), (0x16FF0, 0x16FF1), (0x17000, 0x18CFF), (0x18D00, 0x18D08), (0x1AFF0, 0x1B2FF),
        (0x1F004, 0x1F004), (0x1F0CF, 0x1F0CF), (0x1F18E, 0x1F18E), (0x1F191, 0x1F19A), (0x1F200, 0x1F202),
        (0x1F210, 0x1F23B), (0x1F240, 0x1F248), (0x1F250, 0x1F251), (0x1F260, 0x1F265), (0x1F300, 0x1F320),
        (0x1F32D, 0x1F335), (0x1F337, 0x1F37C), (0x1F37E, 0x1F393), (0x1F3A0, 0x1F3CA), (0x1F3CF, 0x1F3D3),
        (0x1F3E0, 0x1F3F0), (0x1F3F4, 0x1F3F4), (0x1F3F8, 0x1F43E), (0x1F440, 0x1F440), (0x1F442, 0x1F4FC),
        (0x1F4FF, 0x1F53D), (0x1F54B, 0x1F54E), (0x1F550, 0x1F567), (0x1F57A, 0x1F57A), (0x1F595, 0x1F596),
        (0x1F5A4, 0x1F5A4), (0x1F5FB, 0x1F64F), (0x1F680, 0x1F6C5), (0x1F6CC, 0x1F6CC), (0x1F6D0, 0x1F6D2),
        (0x1F6D5, 0x1F6D7), (0x1F6DC, 0x1F6DF), (0x1F6EB, 0x1F6EC), (0x1F6F4, 0x1F6FC), (0x1F7E0, 0x1F7EB),
        (0x1F7F0, 0x1F7F0), (0x1F90C, 0x1F93A), (0x1F93C, 0x1F945), (0x1F947, 0x1F9FF), (0x1FA70, 0x1FAFF),
        (0x20000, 0x2FFFD), (0x30000, 0x3FFFD),
    ];

    /// <summary>The number of terminal columns <paramref name="text"/> takes.</summary>
    /// <param name="text">The text (null counts as empty).</param>
    /// <returns>The sum of <see cref="Of(Rune)"/> over its characters.</returns>
    public static int Of(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return 0;
        var width = 0;
        foreach (var rune in text.EnumerateRunes())
            width += Of(rune);
        return width;
    }

    /// <summary>The columns one character takes: 2 for East Asian Wide/Fullwidth, 0 for combining marks, format and control characters, else 1.</summary>
    /// <param name="rune">The character.</param>
    /// <returns>0, 1 or 2.</returns>
    public static int Of(Rune rune)
    {
        var category = Rune.GetUnicodeCategory(rune);
        if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format or UnicodeCategory.Control)
            return 0;
        return IsWide(rune.Value) ? 2 : 1;
    }

    /// <summary><paramref name="text"/> preceded by spaces up to <paramref name="width"/> columns (Python's <c>'{:>w}'</c> by display width).</summary>
    /// <param name="text">The text.</param>
    /// <param name="width">The target width in columns; text already wider is returned unchanged.</param>
    /// <returns>The right-aligned text.</returns>
    public static string PadLeft(string text, int width) => new string(' ', Math.Max(0, width - Of(text))) + text;

    /// <summary><paramref name="text"/> followed by spaces up to <paramref name="width"/> columns.</summary>
    /// <param name="text">The text.</param>
    /// <param name="width">The target width in columns; text already wider is returned unchanged.</param>
    /// <returns>The left-aligned text.</returns>
    public static string PadRight(string text, int width) => text + new string(' ', Math.Max(0, width - Of(text)));

    private static bool IsWide(int codePoint)
    {
        if (codePoint < Wide[0].First)
            return false;
        int lo = 0, hi = Wide.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) / 2;
            if (codePoint < Wide[mid].First)
                hi = mid - 1;
            else if (codePoint > Wide[mid].Last)
                lo = mid + 1;
            else
                return true;
        }
        return false;
    }
}
