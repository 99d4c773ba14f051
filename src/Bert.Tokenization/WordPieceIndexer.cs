using System.Text;

namespace Bert.Tokenization;

/// <summary>
/// A BERT indexer over Google's WordPiece <c>vocab.txt</c> (one token per line, the line number is the id), with
/// the tokenization of Google's <c>tokenization.py</c> <c>FullTokenizer</c>: basic tokenization (CJK ideographs
/// split, punctuation split, accents stripped when lower-casing) then greedy longest-match WordPiece. Set
/// <see cref="BertIndexerOptions.LowerCase"/> for "uncased" checkpoints. Thread-safe.
/// </summary>
/// <remarks>
/// As in Google's tokenizer, special tokens written inside a text are ordinary text (<c>[CLS]</c> becomes
/// <c>[</c>, <c>CLS</c>, <c>]</c>); with lower-casing they keep their case (see <see cref="BertIndexerOptions.LowerCase"/>),
/// where Google's would lower-case them too. With <see cref="TokenizerSemantics.HuggingFace"/> and
/// <see cref="WordPieceIndexerOptions.AddedTokens"/> (set when a Hugging Face folder is loaded) they stay whole, as in
/// Hugging Face's <c>BertTokenizer</c>. Unknown words are the unknown token, in ids and in pieces.
/// </remarks>
public sealed class WordPieceIndexer : IBertIndexer
{
    private readonly string[] pieces;
    private readonly Dictionary<string, int> vocab;
    private readonly WordPieceEncoder encoder;
    private readonly WordPieceIndexerOptions options;
    private readonly BertIndexerCore core;

    private WordPieceIndexer(string[] pieces, WordPieceIndexerOptions options, string source)
    {
        this.pieces = pieces;
        this.options = options;
        // load_vocab: a token listed twice keeps its last line, as a Python dict assignment does.
        vocab = new Dictionary<string, int>(pieces.Length, StringComparer.Ordinal);
        for (var i = 0; i < pieces.Length; i++)
            vocab[pieces[i]] = i;
        ClsId = Require(options.ClsToken, nameof(options.ClsToken), source);
        SepId = Require(options.SepToken, nameof(options.SepToken), source);
        PadId = Require(options.PadToken, nameof(options.PadToken), source);
        MaskId = Require(options.MaskToken, nameof(options.MaskToken), source);
        UnkId = Require(options.UnkToken, nameof(options.UnkToken), source);
        encoder = new WordPieceEncoder(vocab, UnkId, options.MaxInputCharsPerWord, options.StripAccents ?? options.LowerCase, options.TokenizeChineseChars,
            dropEveryOtherCategory: options.Semantics == TokenizerSemantics.HuggingFace);
        core = new BertIndexerCore(options, (text, ids, result) => encoder.Encode(text, ids, result, options.UnkToken), WholeToken.Of(options, t => vocab[t]))
        {
            ClsId = ClsId,
            SepId = SepId,
            PadId = PadId,
        };
    }

    /// <inheritdoc/>
    public int PadId { get; }

    /// <inheritdoc/>
    public int ClsId { get; }

    /// <inheritdoc/>
    public int SepId { get; }

    /// <inheritdoc/>
    public int MaskId { get; }

    /// <inheritdoc/>
    public int UnkId { get; }

    /// <inheritdoc/>
    public int VocabSize => pieces.Length;

    /// <summary>The number of tokens read from the vocabulary file (the <see cref="WordPieceIndexerOptions.AddedTokens"/> it lacks follow them).</summary>
    internal int FileVocabSize { get; private init; }

    /// <inheritdoc/>
    public int MaxSequenceLength => options.MaxSequenceLength;

    /// <summary>A copy of the options this indexer was loaded with (the indexer keeps its own copy).</summary>
    public WordPieceIndexerOptions Options => options.Copy<WordPieceIndexerOptions>();

    /// <summary>The greedy longest-match WordPiece step over this vocabulary (for indexers with another word splitter).</summary>
    internal WordPieceEncoder Encoder => encoder;

    /// <summary>Loads a WordPiece vocabulary file (<c>vocab.txt</c>, UTF-8).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The vocabulary is empty or lacks a special token.</exception>
    public static WordPieceIndexer Load(string vocabPath, WordPieceIndexerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(vocabPath);
        var bytes = BoundedFile.ReadAllBytes(vocabPath, BoundedFile.MaxTokenizerBytes, "WordPiece vocabulary");
        return Create(bytes, options, vocabPath);
    }

    /// <summary>Loads a WordPiece vocabulary from a UTF-8 stream (read to its end, not disposed).</summary>
    /// <exception cref="InvalidDataException">The vocabulary is empty or lacks a special token.</exception>
    public static WordPieceIndexer Load(Stream vocabStream, WordPieceIndexerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(vocabStream);
        return Create(BoundedFile.ReadAllBytes(vocabStream, BoundedFile.MaxTokenizerBytes, "WordPiece vocabulary stream"), options, "(stream)");
    }

    private static WordPieceIndexer Create(byte[] bytes, WordPieceIndexerOptions? options, string source)
    {
        options = options?.Copy<WordPieceIndexerOptions>() ?? new WordPieceIndexerOptions();
        options.Validate();
        var lines = new List<string>();
        using (var reader = new StringReader(BoundedFile.DecodeUtf8(bytes, $"'{source}'")))
        {
            for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
                lines.Add(line.Trim());
        }
        if (lines.Count == 0)
            throw new InvalidDataException($"'{source}' is an empty vocabulary.");
        // Added tokens that the file lacks take the next ids, in order (Hugging Face's added_tokens.json).
        options.AddedTokens = options.AddedTokens.ToArray();
        var listed = lines.ToHashSet(StringComparer.Ordinal);
        int fileSize = lines.Count;
        lines.AddRange(options.AddedTokens.Select(t => t.Content).Where(t => !listed.Contains(t)));
        return new WordPieceIndexer([.. lines], options, source) { FileVocabSize = fileSize };
    }

    private int Require(string token, string property, string source)
    {
        if (!vocab.TryGetValue(token, out var id))
            throw new InvalidDataException($"'{source}' has no token '{token}' (WordPieceIndexerOptions.{property}); set {property} to a token of the vocabulary.");
        return id;
    }

    /// <inheritdoc/>
    public EncodedInput Encode(string text, string? pair = null) => core.Encode(text, pair);

    /// <inheritdoc/>
    public IReadOnlyList<EncodedInput> EncodeMany(IReadOnlyList<string> texts, IReadOnlyList<string>? pairs = null) =>
        BertInputAssembler.EncodeMany(this, texts, pairs);

    /// <inheritdoc/>
    public TokenizedText Tokenize(string text) => core.Tokenize(text);

    /// <inheritdoc/>
    public IReadOnlyList<string> TokenizeToPieces(string text) => core.TokenizeToPieces(text);

    /// <inheritdoc/>
    public IReadOnlyList<int> TokenizeToIds(string text) => core.TokenizeToIds(text);

    /// <inheritdoc/>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        foreach (var id in ids)
        {
            var piece = IdToPiece(id);
            if (id == ClsId || id == SepId || id == PadId)
                continue;
            if (piece.StartsWith("##", StringComparison.Ordinal) && text.Length > 0)
                text.Append(piece, 2, piece.Length - 2);
            else
                text.Append(text.Length > 0 ? " " : "").Append(piece);
        }
        return text.ToString();
    }

    /// <inheritdoc/>
    public string IdToPiece(int id)
    {
        if ((uint)id >= (uint)pieces.Length)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"Ids run from 0 to {pieces.Length - 1}.");
        return pieces[id];
    }

    /// <inheritdoc/>
    public int PieceToId(string piece)
    {
        ArgumentNullException.ThrowIfNull(piece);
        return vocab.TryGetValue(piece, out var id) ? id : -1;
    }
}
