using System.Text.Json;
using System.Text.Json.Nodes;
using Bert.Core.Checkpoints;
using Bert.Core.Modeling;
using Bert.Core.Training;
using Bert.Tokenization;
using Microsoft.Extensions.AI;
using TorchSharp;
using static TorchSharp.torch;

namespace Bert.Core.Embeddings;

/// <summary>
/// Sentence embeddings from a BERT: each text is encoded, run through the model and pooled into one vector
/// (<see cref="PoolingStrategy"/>: [CLS], pooler, or mean/max over the real tokens), optionally scaled to unit length.
/// Runs in eval mode without gradients, longest texts first in batches padded to a multiple of 8, and is safe to
/// call from many threads at once, also while one of them disposes it (running calls finish first).
/// <see cref="AsEmbeddingGenerator"/> plugs it into Microsoft.Extensions.AI.
/// </summary>
/// <example>
/// <code>
/// using var embedder = TextEmbedder.Load("all-MiniLM-L6-v2", new TextEmbedderOptions { Normalize = true });
/// float[] vector = embedder.Embed("The quick brown fox.");
/// </code>
/// </example>
public sealed class TextEmbedder : IDisposable
{
    /// <summary>Batches are padded to a multiple of 8 positions (see <see cref="BertBatch.PaddedLength"/>).</summary>
    private const int PadMultiple = 8;

    private readonly TextEmbedderOptions options;
    private readonly DevicePlacement device;

    /// <summary>Wraps a model and its indexer; the embedder owns the model from then on and disposes it.</summary>
    /// <param name="model">The encoder (switched to eval mode; moved to <see cref="TextEmbedderOptions.Device"/> when that is set).</param>
    /// <param name="indexer">The indexer the model was trained with; its <see cref="IBertIndexer.MaxSequenceLength"/> truncates texts.</param>
    /// <param name="options">Pooling, normalisation and batching; null for the defaults.</param>
    /// <exception cref="ArgumentException">
    /// An option is out of range, or the indexer does not fit the model (more ids than the vocabulary, longer sequences
    /// than the position table, or another length than <see cref="TextEmbedderOptions.MaxSequenceLength"/>).
    /// </exception>
    public TextEmbedder(BertModel model, IBertIndexer indexer, TextEmbedderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(indexer);
        this.options = options?.Clone() ?? new TextEmbedderOptions();
        var config = model.Config;
        this.options.Validate(config.NumHiddenLayers);
        if (indexer.VocabSize > config.VocabSize)
            throw new ArgumentException($"The indexer has {indexer.VocabSize} ids but the model's vocab_size is {config.VocabSize}: they do not belong together.", nameof(indexer));
        if (indexer.MaxSequenceLength > config.MaxPositionEmbeddings)
            throw new ArgumentException($"The indexer keeps up to {indexer.MaxSequenceLength} pieces but the model has {config.MaxPositionEmbeddings} positions; load the indexer with MaxSequenceLength <= {config.MaxPositionEmbeddings}.", nameof(indexer));
        if (this.options.MaxSequenceLength is { } length && length != indexer.MaxSequenceLength)
            throw new ArgumentException($"MaxSequenceLength is {length} but the indexer truncates at {indexer.MaxSequenceLength}; load the indexer with that length or leave MaxSequenceLength null.", nameof(options));

        // The one device helper of the trainers and the classifier; without a Device option, the model's own device.
        device = new DevicePlacement(this.options.Device ?? model.parameters().FirstOrDefault()?.device);
        device.Place(model);
        model.eval();
        this.model = model;
        guard = new DisposalGuard(model.Dispose);
        Indexer = indexer;
        ModelId = this.options.ModelId ?? "bert";
        Dimensions = BertPooling.OutputSize(this.options.Pooling, config.HiddenSize, this.options.ConcatLayers);
    }

    private readonly BertModel model;
    private readonly DisposalGuard guard;

    /// <summary>The encoder.</summary>
    /// <exception cref="ObjectDisposedException">The embedder was disposed.</exception>
    public BertModel Model
    {
        get
        {
            ObjectDisposedException.ThrowIf(guard.IsDisposed, this);
            return model;
        }
    }

    /// <summary>The indexer that turns texts into ids.</summary>
    public IBertIndexer Indexer { get; }

    /// <summary>The pooling of the embeddings.</summary>
    public PoolingStrategy Pooling => options.Pooling;

    /// <summary>Whether embeddings have unit L2 length.</summary>
    public bool Normalize => options.Normalize;

    /// <summary>The length of every embedding: the hidden size, or k times it for <see cref="PoolingStrategy.ConcatLastLayers"/>.</summary>
    public int Dimensions { get; }

    /// <summary>The model's name: <see cref="TextEmbedderOptions.ModelId"/>, else the model folder's or checkpoint's name.</summary>
    public string ModelId { get; }

    /// <summary>
    /// Loads a Hugging Face model folder: <c>config.json</c>, the weights (<c>model.safetensors</c>, sharded safetensors
    /// or <c>pytorch_model.bin</c>) and the tokenizer (<c>vocab.txt</c>, or one SentencePiece <c>*.model</c>);
    /// <c>do_lower_case</c> is read from <c>tokenizer_config.json</c> and the truncation length from
    /// <c>sentence_bert_config.json</c> (sentence-transformers models) when present. Loading is strict: every encoder
    /// weight must be there with its shape (the pooler may be missing unless <see cref="PoolingStrategy.Pooler"/> is used).
    /// A folder saved by Bert.NET (a saved classifier, whose head is left aside, or a Hugging Face folder it wrote) is
    /// read from the save its manifest lists, each file checked against its size and SHA-256 first: a file changed after
    /// saving is refused by name, and a save committed into the folder meanwhile changes nothing that is read.
    /// </summary>
    /// <param name="modelDirectory">The folder.</param>
    /// <param name="options">Pooling, normalisation, batching, device; null for the defaults.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The config, weights or tokenizer is missing (the message names the file).</exception>
    /// <exception cref="InvalidDataException">A file is malformed or a weight is missing or misshapen, or a file of a saved
    /// folder is missing or differs from its manifest.</exception>
    public static TextEmbedder Load(string modelDirectory, TextEmbedderOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelDirectory);
        if (!Directory.Exists(modelDirectory))
            throw new DirectoryNotFoundException($"No model folder at {modelDirectory}.");
        // A Bert.NET save (a saved classifier, a Hugging Face folder it wrote) is read from one verified snapshot of it:
        // a save committed meanwhile changes nothing read, and a file changed after saving is refused by name. A folder
        // without a save manifest gives none and is read as it is.
        using var snapshot = SaveSnapshot.Take(modelDirectory);
        var builder = BertModelBuilder.FromPretrained(modelDirectory);
        var indexer = LoadIndexer(modelDirectory, builder.Config, options);
        return Build(builder, modelDirectory, indexer, options, NameOf(modelDirectory));
    }

    /// <summary>Loads a model from a config file and a checkpoint, with an indexer already loaded.</summary>
    /// <param name="configPath">A <c>config.json</c> / <c>bert_config.json</c>.</param>
    /// <param name="checkpointPath">A TensorFlow prefix or <c>.index</c>, a <c>.safetensors</c> or <c>.bin</c> file, or a Hugging Face folder.</param>
    /// <param name="indexer">The checkpoint's indexer (e.g. from <see cref="BertIndexer.Load"/>).</param>
    /// <param name="options">Pooling, normalisation, batching, device; null for the defaults.</param>
    /// <exception cref="FileNotFoundException">The config or checkpoint is missing.</exception>
    /// <exception cref="InvalidDataException">A file is malformed or a weight is missing or misshapen.</exception>
    /// <exception cref="ArgumentException">The indexer does not fit the model (see the constructor).</exception>
    public static TextEmbedder Load(string configPath, string checkpointPath, IBertIndexer indexer, TextEmbedderOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(configPath);
        ArgumentException.ThrowIfNullOrEmpty(checkpointPath);
        ArgumentNullException.ThrowIfNull(indexer);
        return Build(BertModelBuilder.FromConfigFile(configPath), checkpointPath, indexer, options, NameOf(checkpointPath));
    }

    /// <summary>The embedding of one text.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The embedder was disposed.</exception>
    public float[] Embed(string text)
    {
        using var call = guard.Enter(this);
        ArgumentNullException.ThrowIfNull(text);
        return EmbedBatch([text])[0];
    }

    /// <summary>The embeddings of many texts, in input order (computed longest first, <see cref="TextEmbedderOptions.BatchSize"/> at a time).</summary>
    /// <param name="texts">The texts; an empty text gives the embedding of <c>[CLS] [SEP]</c>.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <exception cref="ArgumentNullException">The list or one of its texts is null (the message gives its index).</exception>
    /// <exception cref="ObjectDisposedException">The embedder was disposed.</exception>
    public IReadOnlyList<float[]> EmbedBatch(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        using var call = guard.Enter(this);
        ArgumentNullException.ThrowIfNull(texts);
        for (int i = 0; i < texts.Count; i++)
        {
            if (texts[i] is null) throw new ArgumentNullException(nameof(texts), $"Text {i} is null.");
        }
        cancellationToken.ThrowIfCancellationRequested();
        var inputs = Indexer.EncodeMany(texts);
        var order = Enumerable.Range(0, inputs.Count).OrderByDescending(i => inputs[i].Length).ToArray();
        var batches = InferenceStreams.Batches(order, options.BatchSize, device.Device);
        var results = new float[inputs.Count][];
        InferenceStreams.ForEachBatch(batches.Length, device.Device, b =>
        {
            var rows = batches[b];
            var values = EmbedRows(rows.Select(r => inputs[r]).ToArray());
            for (int r = 0; r < rows.Length; r++)
                results[rows[r]] = values.AsSpan(r * Dimensions, Dimensions).ToArray();
        }, cancellationToken);
        return results;
    }

    /// <summary>This embedder as a Microsoft.Extensions.AI <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> (which does not dispose it).</summary>
    public IEmbeddingGenerator<string, Embedding<float>> AsEmbeddingGenerator() => new TextEmbeddingGenerator(this);

    /// <summary>
    /// Disposes the model once the calls running on other threads have finished; calls that start from now on throw
    /// <see cref="ObjectDisposedException"/>. Called from inside one of this embedder's calls, it returns at once and
    /// the model is disposed when that call leaves. Calling it again does nothing.
    /// </summary>
    public void Dispose() => guard.Dispose();

    /// <summary>One forward pass: the row-major (B, Dimensions) float32 embeddings of a batch (the caller holds the dispose scope).</summary>
    private float[] EmbedRows(EncodedInput[] batchInputs)
    {
        int width = BertBatch.PaddedLength(batchInputs.Max(x => x.Length), PadMultiple, Indexer.MaxSequenceLength);
        using var batch = BertBatch.Collate(batchInputs, Indexer.PadId, width);
        var mask = device.To(batch.AttentionMask);
        var output = model.forward(device.To(batch.InputIds), device.To(batch.TokenTypeIds), mask, BertPooling.NeedsHiddenStates(options.Pooling), packTokens: true); // pooling reads real positions only
        var pooled = BertPooling.Pool(output, mask, options.Pooling, options.ConcatLayers).to(ScalarType.Float32); // (B, D)
        if (options.Normalize)
            pooled = nn.functional.normalize(pooled, p: 2, dim: 1, eps: 1e-12);
        return DevicePlacement.ToFloats(pooled);
    }

    private static TextEmbedder Build(BertModelBuilder builder, string checkpointPath, IBertIndexer indexer, TextEmbedderOptions? options, string defaultName)
    {
        options = options?.Clone() ?? new TextEmbedderOptions();
        options.Validate(builder.Config.NumHiddenLayers);
        options.ModelId ??= defaultName;
        // Strict, but an embedder that does not use the pooler accepts checkpoints saved without it, and the encoder of a
        // fine-tuned classifier (BertForSequenceClassification's folder) leaves its task head aside.
        builder.WithCheckpoint(checkpointPath, new CheckpointLoadOptions
        {
            AllowedMissingPrefixes = options.Pooling == PoolingStrategy.Pooler ? [] : ["pooler."],
            IgnoredPrefixes = ["classifier."],
        });
        if (options.Device is { } target) builder.OnDevice(target);
        if (options.DType is { } type) builder.WithDType(type);
        var model = builder.Build();
        try
        {
            return new TextEmbedder(model, indexer, options);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static IBertIndexer LoadIndexer(string folder, BertConfig config, TextEmbedderOptions? options)
    {
        int length = options?.MaxSequenceLength
            ?? ReadSetting<int>(folder, "sentence_bert_config.json", "max_seq_length", "an integer of at least 3")
            ?? config.MaxPositionEmbeddings;
        if (length < 3)
            throw new InvalidDataException($"The maximum sequence length {length} of {folder} is below 3 ([CLS] text [SEP]).");
        if (length > config.MaxPositionEmbeddings)
            throw new ArgumentException($"MaxSequenceLength {length} exceeds the model's {config.MaxPositionEmbeddings} positions (max_position_embeddings in {folder}).", nameof(options));
        // The folder's tokenizer as Hugging Face reads it (the same loader as TextClassifier.Load), with the length and
        // an explicit LowerCase on top.
        var pathOf = SaveSnapshot.Of(folder) is { } snapshot ? snapshot.PathOf : HuggingFaceTokenizerFolder.PlainFolder(folder);
        return HuggingFaceTokenizerFolder.Load(folder, pathOf, length, lowerCase: options?.LowerCase);
    }

    /// <summary>A setting of a Hugging Face side file in the folder (<c>tokenizer_config.json</c>, <c>sentence_bert_config.json</c>); null when the file or key is absent.</summary>
    private static T? ReadSetting<T>(string folder, string file, string key, string expected)
        where T : struct
    {
        if (SaveSnapshot.FileIn(folder, file) is not { } path) return null;
        try
        {
            var value = JsonNode.Parse(BoundedFile.ReadAllText(path, BoundedFile.MaxJsonBytes, "model setting file"))?[key];
            return value is null ? null : value.GetValue<T>();
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: '{key}' must be {expected} ({ex.Message}).", ex);
        }
    }

    private static string NameOf(string path) => Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)));
}
