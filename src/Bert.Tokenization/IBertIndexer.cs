namespace Bert.Tokenization;

/// <summary>
/// Turns text into what BERT eats: <c>[CLS] pieces [SEP] (pieces [SEP])</c> with ids, segment ids and attention
/// mask. Implementations are immutable after loading and safe to call from many threads.
/// </summary>
public interface IBertIndexer
{
    /// <summary>The id of the padding token (from the vocabulary, e.g. 3 in wiki-ja.model).</summary>
    int PadId { get; }

    /// <summary>The id of <c>[CLS]</c>.</summary>
    int ClsId { get; }

    /// <summary>The id of <c>[SEP]</c>.</summary>
    int SepId { get; }

    /// <summary>The id of <c>[MASK]</c>.</summary>
    int MaskId { get; }

    /// <summary>The id of the unknown token.</summary>
    int UnkId { get; }

    /// <summary>The number of ids (the model's vocabulary size).</summary>
    int VocabSize { get; }

    /// <summary>The longest encoded sequence, <c>[CLS]</c> and <c>[SEP]</c> included.</summary>
    int MaxSequenceLength { get; }

    /// <summary>Encodes a text, or a pair of texts, truncated to <see cref="MaxSequenceLength"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    EncodedInput Encode(string text, string? pair = null);

    /// <summary>Encodes many texts (and, when given, their pairs: the same count).</summary>
    IReadOnlyList<EncodedInput> EncodeMany(IReadOnlyList<string> texts, IReadOnlyList<string>? pairs = null);

    /// <summary>The pieces of a text, without <c>[CLS]</c>/<c>[SEP]</c> and without truncation.</summary>
    IReadOnlyList<string> TokenizeToPieces(string text);

    /// <summary>The piece ids of a text, without <c>[CLS]</c>/<c>[SEP]</c> and without truncation.</summary>
    IReadOnlyList<int> TokenizeToIds(string text);

    /// <summary>The pieces and ids of a text in one pass, without <c>[CLS]</c>/<c>[SEP]</c> and without truncation.</summary>
    /// <remarks>The default implementation (for other implementers) tokenizes twice.</remarks>
    TokenizedText Tokenize(string text) => new(TokenizeToIds(text), TokenizeToPieces(text));

    /// <summary>
    /// Turns ids back into text, dropping <c>[CLS]</c>, <c>[SEP]</c> and <c>[PAD]</c> (SentencePiece: as
    /// <c>spm_decode</c>, which drops every control symbol and shows an unknown id as <c>" ⁇ "</c>; WordPiece:
    /// tokens joined by spaces with <c>##</c> continuations glued, as Hugging Face's <c>convert_tokens_to_string</c>).
    /// </summary>
    /// <remarks>The default implementation (for other implementers) joins the pieces with spaces.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">An id is not in [0, VocabSize).</exception>
    string Decode(IEnumerable<int> ids) =>
        string.Join(' ', ids.Where(id => id != ClsId && id != SepId && id != PadId).Select(IdToPiece));

    /// <summary>The piece (vocabulary entry) of an id.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not in [0, VocabSize).</exception>
    string IdToPiece(int id);

    /// <summary>The id of a vocabulary entry, or -1 when the vocabulary has no such piece (never throws for unknown pieces).</summary>
    int PieceToId(string piece);
}
