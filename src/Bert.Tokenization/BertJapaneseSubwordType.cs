namespace Bert.Tokenization;

/// <summary>How <see cref="BertJapaneseIndexer"/> splits each MeCab word (Hugging Face's <c>subword_tokenizer_type</c>).</summary>
public enum BertJapaneseSubwordType
{
    /// <summary>Greedy longest-match WordPiece with <c>##</c> continuations (<c>"wordpiece"</c>, e.g. cl-tohoku/bert-base-japanese).</summary>
    WordPiece,

    /// <summary>One piece per character, unknown characters as the unknown token (<c>"character"</c>, e.g. cl-tohoku/bert-base-japanese-char).</summary>
    Character,
}
