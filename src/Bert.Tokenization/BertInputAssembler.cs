namespace Bert.Tokenization;

/// <summary>
/// Builds <c>[CLS] a [SEP] (b [SEP])</c> from piece ids: truncation (single texts keep their head; pairs are cut
/// longest-first as Google's <c>_truncate_seq_pair</c>), segment ids, attention mask and optional padding.
/// Shared by every <see cref="IBertIndexer"/>.
/// </summary>
internal static class BertInputAssembler
{
    public static EncodedInput Assemble(
        IReadOnlyList<int> a, IReadOnlyList<string>? aPieces,
        IReadOnlyList<int>? b, IReadOnlyList<string>? bPieces,
        int clsId, int sepId, int padId, BertIndexerOptions options)
    {
        var maxLength = options.MaxSequenceLength;
        var (keepA, keepB) = Fit(a.Count, b?.Count, maxLength);
        var truncated = keepA < a.Count || (b is not null && keepB < b.Count);
        var length = 2 + keepA + (b is null ? 0 : keepB + 1);
        var total = options.Padding == BertPadding.MaxLength ? maxLength : length;

        var ids = new int[total];
        var types = new int[total];
        var mask = new int[total];
        var pos = 0;
        ids[pos++] = clsId;
        for (var i = 0; i < keepA; i++)
            ids[pos++] = a[i];
        ids[pos++] = sepId;
        if (b is not null)
        {
            for (var i = 0; i < keepB; i++)
            {
                types[pos] = 1;
                ids[pos++] = b[i];
            }
            types[pos] = 1;
            ids[pos++] = sepId;
        }
        for (var i = 0; i < length; i++)
            mask[i] = 1;
        for (var i = length; i < total; i++)
            ids[i] = padId;

        List<string>? pieces = null;
        if (aPieces is not null)
        {
            pieces = new List<string>(length) { options.ClsToken };
            pieces.AddRange(aPieces.Take(keepA));
            pieces.Add(options.SepToken);
            if (b is not null && bPieces is not null)
            {
                pieces.AddRange(bPieces.Take(keepB));
                pieces.Add(options.SepToken);
            }
        }
        return new EncodedInput(ids, types, mask, length, pieces, truncated);
    }

    /// <summary>
    /// How many pieces of each text fit in <paramref name="maxLength"/> positions with the special tokens: a single
    /// text keeps its head; a pair is cut longest-first (Google's <c>_truncate_seq_pair</c>, Hugging Face's
    /// <c>truncation=True</c>/<c>"longest_first"</c>): one piece at a time from the longer text, from the second on a tie.
    /// </summary>
    public static (int KeepA, int KeepB) Fit(int lengthA, int? lengthB, int maxLength)
    {
        if (lengthB is not { } keepB)
            return (Math.Min(lengthA, maxLength - 2), 0);
        int keepA = lengthA;
        var budget = maxLength - 3;
        while (keepA + keepB > budget)
        {
            if (keepA > keepB)
                keepA--;
            else
                keepB--;
        }
        return (keepA, keepB);
    }

    /// <summary>
    /// Lower-cases <paramref name="text"/> as Python's <c>str.lower()</c> (<see cref="PythonLowerCase"/>) except where one
    /// of <paramref name="keep"/> occurs, so that <c>[CLS]</c>-style tokens written inside the text stay as they are.
    /// </summary>
    public static string LowerCaseKeeping(string text, string[] keep)
    {
        var builder = new System.Text.StringBuilder(text.Length);
        var segmentStart = 0;
        for (var i = 0; i < text.Length;)
        {
            var matched = 0;
            foreach (var token in keep)
            {
                if (token.Length > matched && string.CompareOrdinal(text, i, token, 0, token.Length) == 0)
                    matched = token.Length;
            }
            if (matched == 0)
            {
                i++;
                continue;
            }
            builder.Append(PythonLowerCase.Lower(text[segmentStart..i], finalSigma: true));
            builder.Append(text, i, matched);
            i += matched;
            segmentStart = i;
        }
        builder.Append(PythonLowerCase.Lower(text[segmentStart..], finalSigma: true));
        return builder.ToString();
    }

    /// <summary>
    /// Encodes texts through <paramref name="indexer"/>, checking nulls and pair counts first; large lists are
    /// encoded in parallel (indexers are thread-safe and each result depends on its own text only).
    /// </summary>
    public static IReadOnlyList<EncodedInput> EncodeMany(IBertIndexer indexer, IReadOnlyList<string> texts, IReadOnlyList<string>? pairs)
    {
        CheckPairs(texts, pairs);
        for (var i = 0; i < texts.Count; i++)
        {
            if (texts[i] is null)
                throw new ArgumentNullException(nameof(texts), $"texts[{i}] is null.");
            if (pairs is not null && pairs[i] is null)
                throw new ArgumentNullException(nameof(pairs), $"pairs[{i}] is null.");
        }
        var result = new EncodedInput[texts.Count];
        if (texts.Count >= ParallelThreshold && Environment.ProcessorCount > 1)
        {
            Parallel.For(0, result.Length, i => result[i] = indexer.Encode(texts[i], pairs?[i]));
        }
        else
        {
            for (var i = 0; i < result.Length; i++)
                result[i] = indexer.Encode(texts[i], pairs?[i]);
        }
        return result;
    }

    private const int ParallelThreshold = 256;

    public static void CheckPairs(IReadOnlyList<string> texts, IReadOnlyList<string>? pairs)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (pairs is not null && pairs.Count != texts.Count)
            throw new ArgumentException($"pairs has {pairs.Count} texts but texts has {texts.Count}; they must match one to one.", nameof(pairs));
    }
}
