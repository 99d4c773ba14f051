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

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        if (MaxInputCharsPerWord < 1)
            throw new ArgumentException($"MaxInputCharsPerWord must be positive, not {MaxInputCharsPerWord}.", nameof(MaxInputCharsPerWord));
    }
}
