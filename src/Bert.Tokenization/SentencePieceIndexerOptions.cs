namespace Bert.Tokenization;

/// <summary>
/// Options of <see cref="SentencePieceIndexer"/>. Defaults: 512 tokens, no lower-casing (the reference KNBC run;
/// the Japanese Wikipedia BERT itself was pretrained with lower-casing), no padding, special tokens
/// <c>[CLS] [SEP] [PAD] [MASK] &lt;unk&gt;</c> as in wiki-ja.model.
/// </summary>
public sealed class SentencePieceIndexerOptions : BertIndexerOptions
{
    /// <summary>Creates the default options.</summary>
    public SentencePieceIndexerOptions()
        : base("<unk>")
    {
    }
}
