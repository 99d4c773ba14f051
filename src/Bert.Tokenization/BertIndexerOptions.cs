namespace Bert.Tokenization;

/// <summary>
/// Options shared by every <see cref="IBertIndexer"/>: sequence length, lower-casing, padding and the names of the
/// special tokens. Concrete options: <see cref="SentencePieceIndexerOptions"/>, <see cref="WordPieceIndexerOptions"/>.
/// </summary>
public abstract class BertIndexerOptions
{
    /// <summary>Creates options whose unknown token is <paramref name="unkToken"/>.</summary>
    private protected BertIndexerOptions(string unkToken) => UnkToken = unkToken;

    /// <summary>
    /// The longest sequence, counting <c>[CLS]</c> and <c>[SEP]</c> (default 512, BERT's position limit). Longer
    /// inputs are truncated: a single text keeps its first pieces, a pair loses pieces from the longer side
    /// first (Google's <c>_truncate_seq_pair</c>, ties cut the second text). At least 3.
    /// </summary>
    public int MaxSequenceLength { get; set; } = 512;

    /// <summary>
    /// Lower-cases text before tokenizing (default false). Occurrences of the special tokens
    /// (<see cref="ClsToken"/>, <see cref="SepToken"/>, <see cref="PadToken"/>, <see cref="MaskToken"/>,
    /// <see cref="UnkToken"/>) inside the text are kept as written.
    /// </summary>
    public bool LowerCase { get; set; }

    /// <summary>
    /// Whose tokenizer to reproduce where Google's reference and Hugging Face's differ (special tokens written in a text,
    /// lower-casing, which control characters are dropped; see <see cref="TokenizerSemantics"/>). Default
    /// <see cref="TokenizerSemantics.Reference"/>; loading a Hugging Face folder gives <see cref="TokenizerSemantics.HuggingFace"/>
    /// (unless the folder is a Bert.NET save that recorded otherwise).
    /// </summary>
    public TokenizerSemantics Semantics { get; set; }

    /// <summary>Padding of encoded inputs (default <see cref="BertPadding.None"/>: batches pad to their longest).</summary>
    public BertPadding Padding { get; set; } = BertPadding.None;

    /// <summary>Fill <see cref="EncodedInput.Pieces"/> when encoding (default false: ids only, faster).</summary>
    public bool ReturnPieces { get; set; }

    /// <summary>The classification token that starts every sequence (default <c>[CLS]</c>).</summary>
    public string ClsToken { get; set; } = "[CLS]";

    /// <summary>The separator that ends each text (default <c>[SEP]</c>).</summary>
    public string SepToken { get; set; } = "[SEP]";

    /// <summary>The padding token (default <c>[PAD]</c>); its id in the vocabulary pads sequences.</summary>
    public string PadToken { get; set; } = "[PAD]";

    /// <summary>The mask token of masked-language-model pretraining (default <c>[MASK]</c>).</summary>
    public string MaskToken { get; set; } = "[MASK]";

    /// <summary>The unknown token (default <c>&lt;unk&gt;</c> for SentencePiece, <c>[UNK]</c> for WordPiece).</summary>
    public string UnkToken { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid property.</summary>
    public virtual void Validate()
    {
        if (MaxSequenceLength < 3)
            throw new ArgumentException($"MaxSequenceLength must be at least 3 ([CLS] x [SEP]), not {MaxSequenceLength}.", nameof(MaxSequenceLength));
        if (!Enum.IsDefined(Semantics))
            throw new ArgumentException($"Semantics {(int)Semantics} is not a TokenizerSemantics value.", nameof(Semantics));
        if (!Enum.IsDefined(Padding))
            throw new ArgumentException($"Padding {(int)Padding} is not a BertPadding value.", nameof(Padding));
        CheckToken(ClsToken, nameof(ClsToken));
        CheckToken(SepToken, nameof(SepToken));
        CheckToken(PadToken, nameof(PadToken));
        CheckToken(MaskToken, nameof(MaskToken));
        CheckToken(UnkToken, nameof(UnkToken));
    }

    private static void CheckToken(string? value, string name)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new ArgumentException($"{name} must name a token of the vocabulary, not '{value}'.", name);
    }

    /// <summary>A copy, so that an indexer is not changed by later edits of the caller's options.</summary>
    internal T Copy<T>()
        where T : BertIndexerOptions => (T)MemberwiseClone();

    /// <summary>Copies the shared properties onto <paramref name="target"/> (used when loading by file kind).</summary>
    internal T CopySharedTo<T>(T target)
        where T : BertIndexerOptions
    {
        target.MaxSequenceLength = MaxSequenceLength;
        target.LowerCase = LowerCase;
        target.Semantics = Semantics;
        target.Padding = Padding;
        target.ReturnPieces = ReturnPieces;
        target.ClsToken = ClsToken;
        target.SepToken = SepToken;
        target.PadToken = PadToken;
        target.MaskToken = MaskToken;
        return target;
    }

    internal string[] SpecialTokens() => [ClsToken, SepToken, PadToken, MaskToken, UnkToken];
}
