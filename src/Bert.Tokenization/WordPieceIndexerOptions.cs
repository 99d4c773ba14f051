namespace Bert.Tokenization;

/// <summary>
/// Options of <see cref="WordPieceIndexer"/> (Google's <c>vocab.txt</c>). Defaults: 512 tokens, no lower-casing
/// (set <see cref="BertIndexerOptions.LowerCase"/> for "uncased" checkpoints), no padding, special tokens
/// <c>[CLS] [SEP] [PAD] [MASK] [UNK]</c>.
/// </summary>
public sealed class WordPieceIndexerOptions : BertIndexerOptions
{
    /// <summary>Creates the default options.</summary>
    public WordPieceIndexerOptions()
        : base("[UNK]")
    {
    }

    /// <summary>Words longer than this many characters become one unknown token (default 100, as Google's).</summary>
    public int MaxInputCharsPerWord { get; set; } = 100;

    /// <summary>
    /// Whether accents are stripped (NFD, combining marks removed), as Hugging Face's <c>strip_accents</c>: null (the
    /// default) strips them exactly when <see cref="BertIndexerOptions.LowerCase"/> is set, as Google's uncased models expect.
    /// </summary>
    public bool? StripAccents { get; set; }

    /// <summary>Whether CJK ideographs are split into single characters before WordPiece (Hugging Face's <c>tokenize_chinese_chars</c>; default true, as Google's).</summary>
    public bool TokenizeChineseChars { get; set; } = true;

    /// <summary>
    /// Hugging Face's added tokens (<c>added_tokens.json</c>, <c>added_tokens_decoder</c>): each occurrence in a text
    /// stays one token, found before any other tokenization (longest first; see <see cref="AddedToken"/> for case); a
    /// token that the vocabulary file lacks is appended to it, in this order, taking the next ids. Default none.
    /// </summary>
    public IReadOnlyList<AddedToken> AddedTokens { get; set; } = [];

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        if (AddedTokens is null)
            throw new ArgumentException("AddedTokens must not be null (use an empty list).", nameof(AddedTokens));
        foreach (var token in AddedTokens)
        {
            if (token is null || string.IsNullOrEmpty(token.Content))
                throw new ArgumentException("AddedTokens holds a null or empty token.", nameof(AddedTokens));
        }
        if (AddedTokens.Select(t => t.Content).Distinct(StringComparer.Ordinal).Count() != AddedTokens.Count)
            throw new ArgumentException("AddedTokens lists a token twice.", nameof(AddedTokens));
        if (MaxInputCharsPerWord < 1)
            throw new ArgumentException($"MaxInputCharsPerWord must be positive, not {MaxInputCharsPerWord}.", nameof(MaxInputCharsPerWord));
    }
}
