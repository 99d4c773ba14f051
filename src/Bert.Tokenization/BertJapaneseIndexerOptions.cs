namespace Bert.Tokenization;

/// <summary>
/// Options of <see cref="BertJapaneseIndexer"/> (Hugging Face's <c>BertJapaneseTokenizer</c> with MeCab). Defaults:
/// WordPiece subwords, NFKC normalisation, no lower-casing, 512 tokens, special tokens
/// <c>[CLS] [SEP] [PAD] [MASK] [UNK]</c>. <see cref="BertJapaneseIndexer.Load"/> takes the tokenizer settings
/// (<c>do_lower_case</c>, <c>subword_tokenizer_type</c>, <c>normalize_text</c>, special tokens) from the folder's
/// <c>tokenizer_config.json</c> where it states them.
/// </summary>
public sealed class BertJapaneseIndexerOptions : BertIndexerOptions
{
    /// <summary>Creates the default options.</summary>
    public BertJapaneseIndexerOptions()
        : base("[UNK]")
    {
    }

    /// <summary>
    /// The compiled MeCab dictionary folder (e.g. <c>/var/lib/mecab/dic/ipadic-utf8</c> for the IPADIC that
    /// cl-tohoku/bert-base-japanese v1 used, or unidic-lite's <c>dicdir</c> for v2/v3). When set it replaces the
    /// configuration's <c>mecab_kwargs</c>; it must be set when those name a Python dictionary package
    /// (<c>ipadic</c>, <c>unidic_lite</c>, <c>unidic</c>), since nothing is downloaded. Default null.
    /// </summary>
    public string? MeCabDictionaryFolder { get; set; }

    /// <summary>WordPiece (default) or characters after MeCab (<c>subword_tokenizer_type</c>).</summary>
    public BertJapaneseSubwordType SubwordType { get; set; } = BertJapaneseSubwordType.WordPiece;

    /// <summary>NFKC-normalise text before MeCab (default true, <c>MecabTokenizer</c>'s <c>normalize_text</c>).</summary>
    public bool NormalizeText { get; set; } = true;

    /// <summary>Words longer than this many characters become one unknown token (default 100, as Hugging Face's WordPiece).</summary>
    public int MaxInputCharsPerWord { get; set; } = 100;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        if (!Enum.IsDefined(SubwordType))
            throw new ArgumentException($"SubwordType {(int)SubwordType} is not a BertJapaneseSubwordType value.", nameof(SubwordType));
        if (MaxInputCharsPerWord < 1)
            throw new ArgumentException($"MaxInputCharsPerWord must be positive, not {MaxInputCharsPerWord}.", nameof(MaxInputCharsPerWord));
    }
}
