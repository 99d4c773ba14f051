using System.Globalization;
using System.Text;

namespace Bert.Tokenization;

/// <summary>
/// Google BERT's <c>FullTokenizer</c> (<c>tokenization.py</c>): the basic tokenizer (drop control characters,
/// spaces around CJK ideographs, split on whitespace and punctuation, lower-case and strip accents when asked)
/// followed by greedy longest-match-first WordPiece with <c>##</c> continuations. Characters are Unicode code
/// points, as Python's <c>list(token)</c>. Immutable; thread-safe.
/// </summary>
/// <remarks>
/// Written here rather than wrapping Microsoft.ML.Tokenizers' <c>BertTokenizer</c> so that the semantics are
/// exactly Google's reference (which TF checkpoints were trained with) and shared with the SentencePiece indexer's
/// options; the tests cross-check it against <c>BertTokenizer</c> as an independent implementation.
/// </remarks>
internal sealed class WordPieceEncoder
{
    private readonly Dictionary<string, int> vocab;
    private readonly int unkId;
    private readonly int maxInputCharsPerWord;
    private readonly bool stripAccents;
    private readonly bool tokenizeChineseChars;
    private readonly bool dropEveryOtherCategory;

    // dropEveryOtherCategory: Hugging Face's _is_control drops every category C* (private use and unassigned too), not
    // only Google's Cc and Cf.
    public WordPieceEncoder(Dictionary<string, int> vocab, int unkId, int maxInputCharsPerWord, bool stripAccents, bool tokenizeChineseChars = true,
        bool dropEveryOtherCategory = false)
    {
        this.dropEveryOtherCategory = dropEveryOtherCategory;
        this.vocab = vocab;
        this.unkId = unkId;
        this.maxInputCharsPerWord = maxInputCharsPerWord;
        this.stripAccents = stripAccents;
        this.tokenizeChineseChars = tokenizeChineseChars;
    }

    /// <summary>Appends the ids (and pieces) of <paramref name="text"/>, already lower-cased when asked.</summary>
    public void Encode(string text, List<int> ids, List<string>? pieces, string unkToken)
    {
        foreach (var word in BasicTokens(text))
            WordPiece(word, ids, pieces, unkToken);
    }

    /// <summary>BasicTokenizer.tokenize: the words and punctuation marks of <paramref name="text"/>.</summary>
    internal List<string> BasicTokens(string text)
    {
        // _clean_text and _tokenize_chinese_chars.
        var cleaned = new StringBuilder(text.Length + 16);
        foreach (var rune in text.EnumerateRunes())
        {
            var cp = rune.Value;
            if (cp == 0 || cp == 0xFFFD || IsControl(rune))
                continue;
            // Python's str.split() also splits on U+2028/U+2029 and the like, which Rune.IsWhiteSpace covers.
            if (IsWhitespace(rune) || Rune.IsWhiteSpace(rune))
                cleaned.Append(' ');
            else if (tokenizeChineseChars && IsChineseChar(cp))
                Append(cleaned.Append(' '), rune).Append(' ');
            else
                Append(cleaned, rune);
        }

        var output = new List<string>();
        foreach (var original in cleaned.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var token = original;
            if (stripAccents)
                token = StripAccents(token);
            SplitOnPunctuation(token, output);
        }
        return output;
    }

    private static string StripAccents(string token)
    {
        var decomposed = token.Normalize(NormalizationForm.FormD);
        var builder = new StringBuilder(decomposed.Length);
        foreach (var rune in decomposed.EnumerateRunes())
        {
            if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark)
                Append(builder, rune);
        }
        return builder.ToString();
    }

    private static void SplitOnPunctuation(string token, List<string> output)
    {
        var current = new StringBuilder();
        foreach (var rune in token.EnumerateRunes())
        {
            if (IsPunctuation(rune))
            {
                if (current.Length > 0)
                {
                    output.Add(current.ToString());
                    current.Clear();
                }
                output.Add(rune.ToString());
            }
            else
            {
                Append(current, rune);
            }
        }
        if (current.Length > 0)
            output.Add(current.ToString());
    }

    /// <summary>WordpieceTokenizer.tokenize for one word: greedy longest match, the whole word unknown on failure.</summary>
    internal void WordPiece(string word, List<int> ids, List<string>? pieces, string unkToken)
    {
        // Offsets of code points in the UTF-16 string, so that substrings never split a surrogate pair.
        var starts = new List<int>(word.Length + 1);
        for (var i = 0; i < word.Length; i += char.IsSurrogatePair(word, i) ? 2 : 1)
            starts.Add(i);
        var count = starts.Count;
        starts.Add(word.Length);
        if (count > maxInputCharsPerWord)
        {
            ids.Add(unkId);
            pieces?.Add(unkToken);
            return;
        }

        var firstNew = ids.Count;
        for (var start = 0; start < count;)
        {
            var found = -1;
            string? piece = null;
            var end = count;
            for (; end > start; end--)
            {
                var sub = word[starts[start]..starts[end]];
                var candidate = start > 0 ? "##" + sub : sub;
                if (vocab.TryGetValue(candidate, out found))
                {
                    piece = candidate;
                    break;
                }
            }
            if (piece is null)
            {
                ids.RemoveRange(firstNew, ids.Count - firstNew);
                pieces?.RemoveRange(firstNew, pieces.Count - firstNew);
                ids.Add(unkId);
                pieces?.Add(unkToken);
                return;
            }
            ids.Add(found);
            pieces?.Add(piece);
            start = end;
        }
    }

    private static StringBuilder Append(StringBuilder builder, Rune rune)
    {
        Span<char> chars = stackalloc char[2];
        return builder.Append(chars[..rune.EncodeToUtf16(chars)]);
    }

    private static bool IsWhitespace(Rune rune) =>
        rune.Value is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(rune) == UnicodeCategory.SpaceSeparator;

    private bool IsControl(Rune rune)
    {
        if (rune.Value is '\t' or '\n' or '\r')
            return false;
        var category = Rune.GetUnicodeCategory(rune);
        return category is UnicodeCategory.Control or UnicodeCategory.Format
            || (dropEveryOtherCategory && category is UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned or UnicodeCategory.Surrogate);
    }

    private static bool IsPunctuation(Rune rune)
    {
        var cp = rune.Value;
        if (cp is (>= 33 and <= 47) or (>= 58 and <= 64) or (>= 91 and <= 96) or (>= 123 and <= 126))
            return true;
        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    private static bool IsChineseChar(int cp) =>
        cp is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF)
            or (>= 0x2A700 and <= 0x2B73F) or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B820 and <= 0x2CEAF)
            or (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);
}
