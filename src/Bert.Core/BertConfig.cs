using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bert.Core.Modeling;
using Bert.Tokenization;

namespace Bert.Core;

/// <summary>
/// The hyper-parameters of a BERT encoder, as Google's <c>bert_config.json</c> and Hugging Face's <c>config.json</c>
/// store them (same keys; Hugging Face adds <c>layer_norm_eps</c>, <c>model_type</c>, <c>id2label</c>, ...).
/// Keys this class does not know are kept in <see cref="ExtraFields"/> and written back by <see cref="ToJson"/>.
/// The defaults are BERT-base (uncased English vocabulary size).
/// </summary>
public sealed class BertConfig
{
    /// <summary>The largest <c>vocab_size</c> accepted (10 million rows; the largest BERT vocabularies have about 250 thousand).</summary>
    public const int MaxVocabSize = 10_000_000;

    /// <summary>The largest <c>hidden_size</c> accepted (BERT-large has 1024).</summary>
    public const int MaxHiddenSize = 65_536;

    /// <summary>The largest <c>num_hidden_layers</c> accepted (BERT-large has 24).</summary>
    public const int MaxHiddenLayers = 1_000;

    /// <summary>The largest <c>intermediate_size</c> accepted (BERT-large has 4096).</summary>
    public const int MaxIntermediateSize = 262_144;

    /// <summary>The largest <c>max_position_embeddings</c> accepted.</summary>
    public const int MaxPositions = 1_048_576;

    /// <summary>The largest <c>type_vocab_size</c> accepted (BERT has 2).</summary>
    public const int MaxTypeVocabSize = 1_024;

    /// <summary>The most parameters a config may describe (4 billion, 16 GB in float32; BERT-large has 335 million).</summary>
    public const long MaxParameters = 4_000_000_000;

    /// <summary>The activation names <see cref="HiddenAct"/> accepts.</summary>
    public static IReadOnlyList<string> SupportedActivations { get; } = ["gelu", "gelu_new", "gelu_pytorch_tanh", "relu"];

    /// <summary><c>vocab_size</c>: rows of the word embedding table. Default 30522.</summary>
    public int VocabSize { get; set; } = 30522;

    /// <summary><c>hidden_size</c>: width H of every hidden state. Default 768.</summary>
    public int HiddenSize { get; set; } = 768;

    /// <summary><c>num_hidden_layers</c>: number of encoder layers. Default 12.</summary>
    public int NumHiddenLayers { get; set; } = 12;

    /// <summary><c>num_attention_heads</c>: heads per layer; must divide <see cref="HiddenSize"/>. Default 12.</summary>
    public int NumAttentionHeads { get; set; } = 12;

    /// <summary><c>intermediate_size</c>: width of the feed-forward layer. Default 3072.</summary>
    public int IntermediateSize { get; set; } = 3072;

    /// <summary>
    /// <c>hidden_act</c>: <c>gelu</c> (exact, with erf), <c>gelu_new</c> or <c>gelu_pytorch_tanh</c> (tanh approximation,
    /// what Google's TensorFlow code computes), or <c>relu</c>. Default <c>gelu</c>.
    /// </summary>
    public string HiddenAct { get; set; } = "gelu";

    /// <summary><c>hidden_dropout_prob</c>: dropout after embeddings and every sub-layer, in [0, 1). Default 0.1.</summary>
    public double HiddenDropoutProb { get; set; } = 0.1;

    /// <summary><c>attention_probs_dropout_prob</c>: dropout on attention probabilities, in [0, 1). Default 0.1.</summary>
    public double AttentionProbsDropoutProb { get; set; } = 0.1;

    /// <summary><c>max_position_embeddings</c>: rows of the position table, the longest sequence. Default 512.</summary>
    public int MaxPositionEmbeddings { get; set; } = 512;

    /// <summary><c>type_vocab_size</c>: rows of the token type (segment) table. Default 2.</summary>
    public int TypeVocabSize { get; set; } = 2;

    /// <summary><c>initializer_range</c>: standard deviation of the normal weight initialisation. Default 0.02.</summary>
    public double InitializerRange { get; set; } = 0.02;

    /// <summary><c>layer_norm_eps</c>: epsilon of every LayerNorm. Default 1e-12 (Google's BERT).</summary>
    public double LayerNormEps { get; set; } = 1e-12;

    /// <summary>
    /// Keys of the JSON this class does not model (<c>model_type</c>, <c>id2label</c>, <c>pooler_type</c>, ...), kept
    /// in their order and written back by <see cref="ToJson"/>.
    /// </summary>
    public IDictionary<string, JsonNode?> ExtraFields { get; } = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);

    private static readonly string[] KnownKeys =
    [
        "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "hidden_act",
        "hidden_dropout_prob", "attention_probs_dropout_prob", "max_position_embeddings", "type_vocab_size",
        "initializer_range", "layer_norm_eps",
    ];

    /// <summary>Reads a config from JSON text and validates it.</summary>
    /// <exception cref="InvalidDataException">The text is not a JSON object, a field has the wrong type, or a value is invalid (the message names the field).</exception>
    public static BertConfig FromJson(string json) => Parse(json, "config JSON");

    /// <summary>Reads <c>bert_config.json</c> or <c>config.json</c> and validates it.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid BERT config (the message names the file and field).</exception>
    public static BertConfig FromJsonFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Parse(BoundedFile.ReadAllText(path, BoundedFile.MaxJsonBytes, "BERT config"), $"'{path}'");
    }

    /// <summary>Reads a config from a stream of UTF-8 JSON and validates it.</summary>
    /// <exception cref="InvalidDataException">The JSON is not a valid BERT config.</exception>
    public static BertConfig FromJson(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        const string source = "config stream";
        return Parse(BoundedFile.DecodeUtf8(BoundedFile.ReadAllBytes(stream, BoundedFile.MaxJsonBytes, source), source), source);
    }

    private static BertConfig Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject
                ?? throw new InvalidDataException($"{source}: a BERT config must be a JSON object");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{source} is not valid JSON: {ex.Message}", ex);
        }

        var config = new BertConfig();
        foreach (var (key, value) in root)
        {
            switch (key)
            {
                case "vocab_size": config.VocabSize = ReadInt(value, key, source); break;
                case "hidden_size": config.HiddenSize = ReadInt(value, key, source); break;
                case "num_hidden_layers": config.NumHiddenLayers = ReadInt(value, key, source); break;
                case "num_attention_heads": config.NumAttentionHeads = ReadInt(value, key, source); break;
                case "intermediate_size": config.IntermediateSize = ReadInt(value, key, source); break;
                case "hidden_act": config.HiddenAct = ReadString(value, key, source); break;
                case "hidden_dropout_prob": config.HiddenDropoutProb = ReadDouble(value, key, source); break;
                case "attention_probs_dropout_prob": config.AttentionProbsDropoutProb = ReadDouble(value, key, source); break;
                case "max_position_embeddings": config.MaxPositionEmbeddings = ReadInt(value, key, source); break;
                case "type_vocab_size": config.TypeVocabSize = ReadInt(value, key, source); break;
                case "initializer_range": config.InitializerRange = ReadDouble(value, key, source); break;
                case "layer_norm_eps": config.LayerNormEps = ReadDouble(value, key, source); break;
                default: config.ExtraFields[key] = value?.DeepClone(); break;
            }
        }
        try
        {
            config.Validate();
        }
        catch (ArgumentException ex)
        {
            string message = ex.ParamName is null ? ex.Message : ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal);
            throw new InvalidDataException($"{source}: {message}", ex);
        }
        return config;
    }

    private static int ReadInt(JsonNode? node, string key, string source)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
        {
            if (v.TryGetValue<int>(out int i)) return i;
            if (v.TryGetValue<double>(out double d) && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue) return (int)d;
        }
        throw new InvalidDataException($"{source}: field '{key}' must be an integer, not {Describe(node)}");
    }

    private static double ReadDouble(JsonNode? node, string key, string source)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out double d))
            return d;
        throw new InvalidDataException($"{source}: field '{key}' must be a number, not {Describe(node)}");
    }

    private static string ReadString(JsonNode? node, string key, string source)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            return v.GetValue<string>();
        throw new InvalidDataException($"{source}: field '{key}' must be a string, not {Describe(node)}");
    }

    private static string Describe(JsonNode? node) => node is null ? "null" : node.ToJsonString();

    /// <summary>
    /// Checks the values before anything is allocated: every size in its range (1 to <see cref="MaxVocabSize"/>,
    /// <see cref="MaxHiddenSize"/>, <see cref="MaxHiddenLayers"/>, <see cref="MaxIntermediateSize"/>,
    /// <see cref="MaxPositions"/>, <see cref="MaxTypeVocabSize"/>), <c>num_attention_heads</c> dividing
    /// <c>hidden_size</c>, at most <see cref="MaxParameters"/> parameters in all, a supported <c>hidden_act</c> (exact
    /// name), dropout probabilities in [0, 1), <c>initializer_range</c> in [0, 1], <c>layer_norm_eps</c> in (0, 1], and
    /// (if present) an absolute <c>position_embedding_type</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A value is invalid; the message names the JSON field.</exception>
    public void Validate()
    {
        InRange(VocabSize, MaxVocabSize, "vocab_size", nameof(VocabSize));
        InRange(HiddenSize, MaxHiddenSize, "hidden_size", nameof(HiddenSize));
        InRange(NumHiddenLayers, MaxHiddenLayers, "num_hidden_layers", nameof(NumHiddenLayers));
        InRange(NumAttentionHeads, MaxHiddenSize, "num_attention_heads", nameof(NumAttentionHeads));
        InRange(IntermediateSize, MaxIntermediateSize, "intermediate_size", nameof(IntermediateSize));
        InRange(MaxPositionEmbeddings, MaxPositions, "max_position_embeddings", nameof(MaxPositionEmbeddings));
        InRange(TypeVocabSize, MaxTypeVocabSize, "type_vocab_size", nameof(TypeVocabSize));
        if (HiddenSize % NumAttentionHeads != 0)
            throw new ArgumentException(
                $"hidden_size ({HiddenSize}) must be divisible by num_attention_heads ({NumAttentionHeads})", nameof(HiddenSize));
        double parameters = BertWeightShapes.CountParameters(this);
        if (parameters > MaxParameters)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"the sizes (vocab_size {VocabSize}, hidden_size {HiddenSize}, num_hidden_layers {NumHiddenLayers}, intermediate_size {IntermediateSize}, max_position_embeddings {MaxPositionEmbeddings}) make {parameters / 1e9:F1} billion parameters, more than the {MaxParameters / 1e9:F0} billion allowed"),
                nameof(HiddenSize));
        if (HiddenAct is null || !SupportedActivations.Contains(HiddenAct, StringComparer.Ordinal))
            throw new ArgumentException(
                $"hidden_act '{HiddenAct}' is not supported; use one of {string.Join(", ", SupportedActivations)}", nameof(HiddenAct));
        Probability(HiddenDropoutProb, "hidden_dropout_prob", nameof(HiddenDropoutProb));
        Probability(AttentionProbsDropoutProb, "attention_probs_dropout_prob", nameof(AttentionProbsDropoutProb));
        if (!(InitializerRange >= 0 && InitializerRange <= 1))
            throw new ArgumentException($"initializer_range ({InitializerRange}) must be in [0, 1]", nameof(InitializerRange));
        if (!(LayerNormEps > 0 && LayerNormEps <= 1))
            throw new ArgumentException($"layer_norm_eps ({LayerNormEps}) must be in (0, 1]", nameof(LayerNormEps));
        if (ExtraFields.TryGetValue("position_embedding_type", out var pet) && pet is not null
            && (pet is not JsonValue pv || pv.GetValueKind() != JsonValueKind.String || pv.GetValue<string>() != "absolute"))
            throw new ArgumentException(
                $"position_embedding_type {pet.ToJsonString()} is not supported (only \"absolute\")", nameof(ExtraFields));
    }

    /// <summary>
    /// The number of parameters of a <see cref="BertModel"/> built from this config (embeddings, encoder layers,
    /// pooler), computed from the sizes without building anything.
    /// </summary>
    /// <exception cref="ArgumentException">The config is invalid.</exception>
    public long CountParameters()
    {
        Validate();
        return (long)BertWeightShapes.CountParameters(this);
    }

    /// <summary>
    /// Checks that a tokenizer belongs with this config: its ids, the special tokens' included, index rows of the
    /// embedding table (<c>VocabSize &lt;= vocab_size</c>), and its vocabulary is the table's, allowing only the
    /// padding Hugging Face models add to round the table up to a multiple of 128 rows (a 1000-piece model with a
    /// 32000-row table is the wrong tokenizer).
    /// </summary>
    /// <param name="indexer">The tokenizer.</param>
    /// <param name="tokenizerName">How to name the tokenizer in messages (its file); null for "the tokenizer".</param>
    /// <exception cref="InvalidDataException">They do not belong together; the message gives both sizes.</exception>
    public void ValidateIndexer(IBertIndexer indexer, string? tokenizerName = null)
    {
        ArgumentNullException.ThrowIfNull(indexer);
        string name = tokenizerName is null ? "the tokenizer" : $"the tokenizer '{tokenizerName}'";
        int count = indexer.VocabSize;
        if (count > VocabSize)
            throw new InvalidDataException(
                $"{name} has {count} ids but the model's vocab_size is {VocabSize}: ids {VocabSize}..{count - 1} have no embedding row (the wrong tokenizer or config?)");
        long padded = ((long)count + 127) / 128 * 128;
        if (VocabSize > padded)
            throw new InvalidDataException(
                $"{name} has {count} ids but the model's vocab_size is {VocabSize} (more than padding to a multiple of 128 explains): they do not belong together");
        foreach (var (token, id) in new[] { ("[PAD]", indexer.PadId), ("[CLS]", indexer.ClsId), ("[SEP]", indexer.SepId), ("[MASK]", indexer.MaskId), ("unknown", indexer.UnkId) })
        {
            if (id < 0 || id >= count)
                throw new InvalidDataException($"{name}: the {token} id {id} is outside its {count} ids");
        }
    }

    /// <summary>
    /// Refuses, before allocating, a model whose weights alone (<paramref name="bytesPerParameter"/> each) would not
    /// fit in the memory this process may use.
    /// </summary>
    /// <exception cref="InsufficientMemoryException">The weights would not fit; the message gives both sizes.</exception>
    internal void EnsureWeightsFitInMemory(int bytesPerParameter = sizeof(float))
    {
        double bytes = BertWeightShapes.CountParameters(this) * bytesPerParameter;
        long available = AvailableMemoryBytes;
        if (available > 0 && bytes > available)
            throw new InsufficientMemoryException(string.Create(CultureInfo.InvariantCulture,
                $"A BERT with {ToString()} needs {bytes / (1 << 30):F1} GiB for its weights alone; this process may use {available / (double)(1 << 30):F1} GiB."));
    }

    /// <summary>
    /// A rough estimate, in bytes, of the memory that training this BERT in float32 takes: the weights, their
    /// gradients and AdamWarmup's two moments (four times the weights), plus the activations a batch of
    /// <paramref name="batchSize"/> sequences of <paramref name="sequenceLength"/> tokens keeps for the backward pass
    /// (per layer and token about 34·H + 8·I + 9·heads·T bytes: the float32 form of the count in Korthikanti et al.,
    /// "Reducing Activation Recomputation in Large Transformer Models", 2022).
    /// </summary>
    /// <param name="batchSize">Sequences per batch.</param>
    /// <param name="sequenceLength">Tokens per sequence ([CLS] and [SEP] included).</param>
    /// <returns>The estimate: weights, training state (gradients and moments) and activations, in bytes.</returns>
    /// <exception cref="ArgumentException">The config is invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The batch size or the sequence length is not positive.</exception>
    public (double Weights, double TrainingState, double Activations) EstimateTrainingBytes(int batchSize, int sequenceLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequenceLength);
        double weights = (double)CountParameters() * sizeof(float);
        double tokens = (double)batchSize * sequenceLength;
        double perLayerToken = 34.0 * HiddenSize + 8.0 * IntermediateSize + 9.0 * NumAttentionHeads * sequenceLength;
        double embeddings = 12.0 * HiddenSize; // sum, LayerNorm and dropout outputs
        return (weights, 3 * weights, tokens * (NumHiddenLayers * perLayerToken + embeddings));
    }

    /// <summary>
    /// Refuses, before anything is allocated, to train this BERT when <see cref="EstimateTrainingBytes"/> exceeds the
    /// memory this process may use (also when the weights alone would fit).
    /// </summary>
    /// <param name="batchSize">Sequences per batch.</param>
    /// <param name="sequenceLength">Tokens per sequence ([CLS] and [SEP] included).</param>
    /// <exception cref="InsufficientMemoryException">Training would not fit; the message gives each part and the memory available.</exception>
    public void EnsureTrainingFitsInMemory(int batchSize, int sequenceLength) =>
        EnsureTrainingFitsInMemory(batchSize, sequenceLength, AvailableMemoryBytes);

    /// <summary><see cref="EnsureTrainingFitsInMemory(int, int)"/> against <paramref name="availableBytes"/> (0: unknown, not checked).</summary>
    internal void EnsureTrainingFitsInMemory(int batchSize, int sequenceLength, long availableBytes)
    {
        var (weights, state, activations) = EstimateTrainingBytes(batchSize, sequenceLength);
        double total = weights + state + activations;
        const double GiB = 1 << 30;
        if (availableBytes > 0 && total > availableBytes)
            throw new InsufficientMemoryException(string.Create(CultureInfo.InvariantCulture,
                $"Training a BERT with {ToString()} on batches of {batchSize} x {sequenceLength} tokens needs about {total / GiB:F1} GiB " +
                $"(weights {weights / GiB:F1}, gradients and AdamWarmup's two moments {state / GiB:F1}, activations {activations / GiB:F1}); " +
                $"this process may use {availableBytes / GiB:F1} GiB: a smaller model, batch size or sequence length."));
    }

    /// <summary>The memory this process may use (the machine's or the container's limit), 0 when unknown.</summary>
    private static long AvailableMemoryBytes => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    private static void InRange(int value, int max, string field, string property)
    {
        if (value <= 0 || value > max)
            throw new ArgumentException($"{field} ({value}) must be in [1, {max}]", property);
    }

    private static void Probability(double value, string field, string property)
    {
        if (!(value >= 0 && value < 1))
            throw new ArgumentException($"{field} ({value}) must be in [0, 1)", property);
    }

    /// <summary>
    /// The config as indented JSON with Hugging Face's keys (<c>layer_norm_eps</c> always written), followed by
    /// <see cref="ExtraFields"/> in their order.
    /// </summary>
    public string ToJson()
    {
        var root = new JsonObject
        {
            ["vocab_size"] = VocabSize,
            ["hidden_size"] = HiddenSize,
            ["num_hidden_layers"] = NumHiddenLayers,
            ["num_attention_heads"] = NumAttentionHeads,
            ["intermediate_size"] = IntermediateSize,
            ["hidden_act"] = HiddenAct,
            ["hidden_dropout_prob"] = HiddenDropoutProb,
            ["attention_probs_dropout_prob"] = AttentionProbsDropoutProb,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["type_vocab_size"] = TypeVocabSize,
            ["initializer_range"] = InitializerRange,
            ["layer_norm_eps"] = LayerNormEps,
        };
        foreach (var (key, value) in ExtraFields)
        {
            if (!KnownKeys.Contains(key))
                root[key] = value?.DeepClone();
        }
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>A deep copy (extra fields included).</summary>
    public BertConfig Clone()
    {
        var copy = new BertConfig
        {
            VocabSize = VocabSize, HiddenSize = HiddenSize, NumHiddenLayers = NumHiddenLayers,
            NumAttentionHeads = NumAttentionHeads, IntermediateSize = IntermediateSize, HiddenAct = HiddenAct,
            HiddenDropoutProb = HiddenDropoutProb, AttentionProbsDropoutProb = AttentionProbsDropoutProb,
            MaxPositionEmbeddings = MaxPositionEmbeddings, TypeVocabSize = TypeVocabSize,
            InitializerRange = InitializerRange, LayerNormEps = LayerNormEps,
        };
        foreach (var (key, value) in ExtraFields) copy.ExtraFields[key] = value?.DeepClone();
        return copy;
    }

    /// <inheritdoc />
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture,
            $"BertConfig(layers {NumHiddenLayers}, hidden {HiddenSize}, heads {NumAttentionHeads}, intermediate {IntermediateSize}, vocab {VocabSize}, positions {MaxPositionEmbeddings}, {HiddenAct})");
}
