namespace Bert.Tokenization;

/// <summary>
/// What every <see cref="IBertIndexer"/> does around its tokenizer: argument checks, tokens kept whole (Hugging Face's
/// special and added tokens), lower-casing, <c>[CLS] a [SEP] (b [SEP])</c> assembly with truncation and padding,
/// batches. The indexers hold one and forward to it, giving only their piece encoder.
/// </summary>
internal sealed class BertIndexerCore
{
    private readonly BertIndexerOptions options;
    private readonly string[] specialTokens;
    private readonly Action<string, List<int>, List<string>?> encodePieces;
    private readonly Dictionary<string, WholeToken> exactTokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, WholeToken> caselessTokens = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, WholeToken>.AlternateLookup<ReadOnlySpan<char>> exactLookup;
    private readonly Dictionary<string, WholeToken>.AlternateLookup<ReadOnlySpan<char>> caselessLookup;
    private readonly int[] wholeTokenLengths;
    private readonly HashSet<char> wholeTokenStarts = new();

    /// <param name="options">The validated options (the indexer's own copy).</param>
    /// <param name="encodePieces">Appends the ids (and pieces, when the list is given) of a text.</param>
    /// <param name="wholeTokens">
    /// Tokens that a text's occurrences of stay one token with this id (Hugging Face's special and added tokens);
    /// empty for Google's and spm_encode's semantics, where they are ordinary text.
    /// </param>
    public BertIndexerCore(BertIndexerOptions options, Action<string, List<int>, List<string>?> encodePieces, IReadOnlyList<WholeToken>? wholeTokens = null)
    {
        this.options = options;
        this.encodePieces = encodePieces;
        specialTokens = options.SpecialTokens();
        foreach (var token in wholeTokens ?? [])
        {
            exactTokens[token.Token] = token;
            wholeTokenStarts.Add(token.Token[0]);
            if (token.IgnoreCaseWhenLowerCasing && options.LowerCase)
            {
                caselessTokens.TryAdd(token.Token, token);
                wholeTokenStarts.Add(char.ToLowerInvariant(token.Token[0]));
                wholeTokenStarts.Add(char.ToUpperInvariant(token.Token[0]));
            }
        }
        exactLookup = exactTokens.GetAlternateLookup<ReadOnlySpan<char>>();
        caselessLookup = caselessTokens.GetAlternateLookup<ReadOnlySpan<char>>();
        wholeTokenLengths = exactTokens.Keys.Select(t => t.Length).Distinct().OrderDescending().ToArray();
    }

    public int ClsId { get; init; }

    public int SepId { get; init; }

    public int PadId { get; init; }

    public EncodedInput Encode(string text, string? pair)
    {
        ArgumentNullException.ThrowIfNull(text);
        var (a, aPieces) = Tokenize(text, options.ReturnPieces);
        if (pair is null)
            return BertInputAssembler.Assemble(a, aPieces, null, null, ClsId, SepId, PadId, options);
        var (b, bPieces) = Tokenize(pair, options.ReturnPieces);
        return BertInputAssembler.Assemble(a, aPieces, b, bPieces, ClsId, SepId, PadId, options);
    }

    public TokenizedText Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var (ids, pieces) = Tokenize(text, true);
        return new TokenizedText(ids, pieces!);
    }

    public IReadOnlyList<int> TokenizeToIds(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Tokenize(text, false).Ids;
    }

    public IReadOnlyList<string> TokenizeToPieces(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Tokenize(text, true).Pieces!;
    }

    private (List<int> Ids, List<string>? Pieces) Tokenize(string text, bool withPieces)
    {
        var ids = new List<int>((text.Length / 2) + 2);
        var pieces = withPieces ? new List<string>(ids.Capacity) : null;
        if (exactTokens.Count == 0)
        {
            EncodeSpan(text, ids, pieces);
            return (ids, pieces);
        }
        // Hugging Face's PreTrainedTokenizer.tokenize: the text is split at the whole tokens (leftmost, longest), and the
        // spans between them are lower-cased and tokenized on their own.
        var start = 0;
        for (var i = 0; i < text.Length;)
        {
            var match = wholeTokenStarts.Contains(text[i]) ? WholeTokenAt(text, i) : null;
            if (match is null)
            {
                i++;
                continue;
            }
            EncodeSpan(text[start..i], ids, pieces);
            ids.Add(match.Id);
            pieces?.Add(match.Token);
            i += match.Token.Length;
            start = i;
        }
        EncodeSpan(text[start..], ids, pieces);
        return (ids, pieces);
    }

    /// <summary>
    /// Lower-cases (when asked) and encodes a span: Hugging Face's lower-casing is one character at a time; the
    /// reference's is Python's <c>str.lower()</c>, keeping the special tokens written in the text as written.
    /// </summary>
    private void EncodeSpan(string span, List<int> ids, List<string>? pieces)
    {
        if (span.Length == 0)
            return;
        if (options.LowerCase)
        {
            span = options.Semantics == TokenizerSemantics.HuggingFace
                ? PythonLowerCase.Lower(span, finalSigma: false)
                : BertInputAssembler.LowerCaseKeeping(span, specialTokens);
        }
        encodePieces(span, ids, pieces);
    }

    /// <summary>The longest whole token at <paramref name="index"/> (exact first, then in another case where allowed), or null.</summary>
    private WholeToken? WholeTokenAt(string text, int index)
    {
        foreach (var length in wholeTokenLengths)
        {
            if (index + length > text.Length)
                continue;
            var candidate = text.AsSpan(index, length);
            if (exactLookup.TryGetValue(candidate, out var token) || (caselessTokens.Count > 0 && caselessLookup.TryGetValue(candidate, out token)))
                return token;
        }
        return null;
    }
}
