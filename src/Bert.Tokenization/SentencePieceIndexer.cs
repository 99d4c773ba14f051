namespace Bert.Tokenization;

/// <summary>
/// A BERT indexer over a SentencePiece <c>.model</c> (unigram or BPE, with or without byte fallback) whose pieces
/// and ids equal <c>spm_encode</c>'s. The special tokens are looked up in the model itself, so padding uses the
/// model's real <c>[PAD]</c> id (3 in the Japanese Wikipedia BERT's wiki-ja.model). Thread-safe.
/// </summary>
/// <remarks>
/// Pieces are what <c>spm_encode --output_format=piece</c> prints: vocabulary entries, byte pieces such as
/// <c>&lt;0xE3&gt;</c> for byte-fallback models, and for a run of unknown characters its normalized text (one
/// piece, id <see cref="UnkId"/>). Special tokens written inside a text are ordinary text, as in spm_encode.
/// </remarks>
/// <example>
/// <code>
/// var indexer = SentencePieceIndexer.Load("wiki-ja.model", new SentencePieceIndexerOptions { MaxSequenceLength = 103 });
/// using var batch = indexer.EncodeBatch(["六角堂の前にある。", "おかきやせんべい"]);
/// </code>
/// </example>
public sealed class SentencePieceIndexer : IBertIndexer
{
    private readonly SentencePieceModel model;
    private readonly SentencePieceIndexerOptions options;
    private readonly BertIndexerCore core;

    private SentencePieceIndexer(SentencePieceModel model, byte[] modelBytes, SentencePieceIndexerOptions options, string source)
    {
        this.model = model;
        ModelBytes = modelBytes;
        this.options = options;
        ClsId = Require(options.ClsToken, nameof(options.ClsToken), source);
        SepId = Require(options.SepToken, nameof(options.SepToken), source);
        PadId = Require(options.PadToken, nameof(options.PadToken), source);
        MaskId = Require(options.MaskToken, nameof(options.MaskToken), source);
        UnkId = Require(options.UnkToken, nameof(options.UnkToken), source);
        if (UnkId != model.UnkId)
            throw new InvalidDataException($"'{source}': UnkToken '{options.UnkToken}' is id {UnkId}, but the model's unknown piece is '{model.IdToPiece(model.UnkId)}' (id {model.UnkId}).");
        core = new BertIndexerCore(options, model.Encode, WholeToken.Of(options, model.PieceToId)) { ClsId = ClsId, SepId = SepId, PadId = PadId };
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
    public int VocabSize => model.PieceCount;

    /// <inheritdoc/>
    public int MaxSequenceLength => options.MaxSequenceLength;

    /// <summary>True when the model is BPE, false when unigram.</summary>
    public bool IsBpe => model.IsBpe;

    /// <summary>True when the model splits unknown characters into byte pieces (<c>&lt;0xE3&gt;</c>...).</summary>
    public bool ByteFallback => model.ByteFallback;

    /// <summary>The serialized model this indexer was loaded from (written back verbatim when a classifier is saved).</summary>
    internal byte[] ModelBytes { get; }

    /// <summary>A copy of the options this indexer was loaded with (the indexer keeps its own copy).</summary>
    public SentencePieceIndexerOptions Options => options.Copy<SentencePieceIndexerOptions>();

    /// <summary>Loads a SentencePiece model file (<c>*.model</c>, a serialized ModelProto).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a SentencePiece model, or lacks a special token.</exception>
    public static SentencePieceIndexer Load(string modelPath, SentencePieceIndexerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        return Create(BoundedFile.ReadAllBytes(modelPath, BoundedFile.MaxTokenizerBytes, "SentencePiece model"), options, modelPath);
    }

    /// <summary>Loads a SentencePiece model from a stream (read to its end, not disposed).</summary>
    /// <exception cref="InvalidDataException">The stream is not a SentencePiece model, or lacks a special token.</exception>
    public static SentencePieceIndexer Load(Stream modelStream, SentencePieceIndexerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(modelStream);
        return Create(BoundedFile.ReadAllBytes(modelStream, BoundedFile.MaxTokenizerBytes, "SentencePiece model stream"), options, "(stream)");
    }

    private static SentencePieceIndexer Create(byte[] bytes, SentencePieceIndexerOptions? options, string source)
    {
        options = options?.Copy<SentencePieceIndexerOptions>() ?? new SentencePieceIndexerOptions();
        options.Validate();
        SentencePieceModel model;
        try
        {
            model = SentencePieceModel.Load(bytes, source);
        }
        catch (InvalidDataException ex) when (!ex.Message.Contains(source, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"'{source}' is not a valid SentencePiece model: {ex.Message}", ex);
        }
        return new SentencePieceIndexer(model, bytes, options, source);
    }

    private int Require(string token, string property, string source)
    {
        var id = model.PieceToId(token);
        if (id < 0)
            throw new InvalidDataException($"'{source}' has no piece '{token}' (SentencePieceIndexerOptions.{property}); add it as a control symbol when training, or set {property} to a piece the model has.");
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
        return model.Decode(ids);
    }

    /// <inheritdoc/>
    public string IdToPiece(int id)
    {
        if ((uint)id >= (uint)model.PieceCount)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"Ids run from 0 to {model.PieceCount - 1}.");
        return model.IdToPiece(id);
    }

    /// <inheritdoc/>
    public int PieceToId(string piece)
    {
        ArgumentNullException.ThrowIfNull(piece);
        return model.PieceToId(piece);
    }
}
