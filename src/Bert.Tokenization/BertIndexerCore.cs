namespace Bert.Tokenization;

/// <summary>
/// What every <see cref="IBertIndexer"/> does around its tokenizer: argument checks, lower-casing that keeps the
/// special tokens, <c>[CLS] a [SEP] (b [SEP])</c> assembly with truncation and padding, batches. The indexers
/// hold one and forward to it, giving only their piece encoder.
/// </summary>
internal sealed class BertIndexerCore
{
    private readonly BertIndexerOptions options;
    private readonly string[] specialTokens;
    private readonly Action<string, List<int>, List<string>?> encodePieces;

    /// <param name="options">The validated options (the indexer's own copy).</param>
    /// <param name="encodePieces">Appends the ids (and pieces, when the list is given) of a text.</param>
    public BertIndexerCore(BertIndexerOptions options, Action<string, List<int>, List<string>?> encodePieces)
    {
        this.options = options;
        this.encodePieces = encodePieces;
        specialTokens = options.SpecialTokens();
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
        if (options.LowerCase)
            text = BertInputAssembler.LowerCaseKeeping(text, specialTokens);
        var ids = new List<int>((text.Length / 2) + 2);
        var pieces = withPieces ? new List<string>(ids.Capacity) : null;
        encodePieces(text, ids, pieces);
        return (ids, pieces);
    }
}
