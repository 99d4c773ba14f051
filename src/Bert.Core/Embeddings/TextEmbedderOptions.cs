using Bert.Core.Modeling;
using static TorchSharp.torch;

namespace Bert.Core.Embeddings;

/// <summary>Options of <see cref="TextEmbedder"/>: the pooling, normalisation, input length, batching and placement.</summary>
public sealed class TextEmbedderOptions
{
    /// <summary>
    /// How token vectors become one vector per text. Default <see cref="PoolingStrategy.MaskedMean"/>, the pooling of
    /// sentence-transformers models such as all-MiniLM-L6-v2.
    /// </summary>
    public PoolingStrategy Pooling { get; set; } = PoolingStrategy.MaskedMean;

    /// <summary>With <see cref="PoolingStrategy.ConcatLastLayers"/>: how many last layers are concatenated. Default 4.</summary>
    public int ConcatLayers { get; set; } = 4;

    /// <summary>Scale every embedding to unit L2 length (sentence-transformers' <c>Normalize</c> module). Default false.</summary>
    public bool Normalize { get; set; }

    /// <summary>
    /// Texts are truncated to this many pieces, <c>[CLS]</c> and <c>[SEP]</c> included, when a loader builds the
    /// indexer; null (default) uses the folder's <c>sentence_bert_config.json</c> <c>max_seq_length</c> (a
    /// sentence-transformers model, e.g. 256 for all-MiniLM-L6-v2) or else the model's <c>max_position_embeddings</c>.
    /// An indexer passed in keeps its own <see cref="Bert.Tokenization.IBertIndexer.MaxSequenceLength"/>, which this
    /// must then equal or leave null.
    /// </summary>
    public int? MaxSequenceLength { get; set; }

    /// <summary>
    /// Lower-case texts before tokenizing (for "uncased" models), when a loader builds the indexer; null (default)
    /// reads the folder's tokenizer settings as Hugging Face does (<c>do_lower_case</c> of <c>tokenizer_config.json</c>;
    /// without it a <c>vocab.txt</c> is lower-cased, as <c>BertTokenizer</c> does, and a SentencePiece model is not).
    /// </summary>
    public bool? LowerCase { get; set; }

    /// <summary>Texts per forward pass at most (fewer when the batches run side by side: see <see cref="TorchRuntime.ParallelInferenceBatches"/>). Default 32.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Where the loaders put the model and where every input tensor is created; null (default) is the CPU.</summary>
    public Device? Device { get; set; }

    /// <summary>The dtype the loaders convert the weights to (Float32, Float64, Float16, BFloat16); null (default) keeps float32. Embeddings are returned as float32.</summary>
    public ScalarType? DType { get; set; }

    /// <summary>The model's name in <see cref="TextEmbedder.ModelId"/> and the embedding metadata; null (default) is the model folder's or checkpoint's name.</summary>
    public string? ModelId { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the property that is out of range.</summary>
    /// <param name="numLayers">The model's number of layers, to check <see cref="ConcatLayers"/>.</param>
    public void Validate(int numLayers)
    {
        if (!Enum.IsDefined(Pooling))
            throw new ArgumentException($"{nameof(Pooling)} has the unknown value {(int)Pooling}.", nameof(Pooling));
        if (Pooling == PoolingStrategy.ConcatLastLayers && (ConcatLayers < 1 || ConcatLayers > numLayers))
            throw new ArgumentException($"{nameof(ConcatLayers)} must be between 1 and the model's {numLayers} layers; it is {ConcatLayers}.", nameof(ConcatLayers));
        if (MaxSequenceLength is < 3)
            throw new ArgumentException($"{nameof(MaxSequenceLength)} must be at least 3 ([CLS] text [SEP]); it is {MaxSequenceLength}.", nameof(MaxSequenceLength));
        if (BatchSize < 1)
            throw new ArgumentException($"{nameof(BatchSize)} must be at least 1; it is {BatchSize}.", nameof(BatchSize));
        if (DType is { } type && type is not (ScalarType.Float32 or ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16))
            throw new ArgumentException($"{nameof(DType)} must be Float32, Float64, Float16 or BFloat16, not {type}.", nameof(DType));
        if (ModelId is { Length: 0 })
            throw new ArgumentException($"{nameof(ModelId)} must be null or a non-empty name.", nameof(ModelId));
    }

    /// <summary>A copy, so that an embedder is not changed by later edits of the caller's options.</summary>
    internal TextEmbedderOptions Clone() => (TextEmbedderOptions)MemberwiseClone();
}
