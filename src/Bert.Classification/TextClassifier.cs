using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bert.Core;
using Bert.Core.Checkpoints;
using Bert.Core.Modeling;
using Bert.Core.Training;
using Bert.Tokenization;
using Bert.Core.IO;
using static TorchSharp.torch;

namespace Bert.Classification;

/// <summary>
/// A fine-tuned classifier ready for inference: the model, its tokenizer and its labels. <see cref="Predict"/> and
/// <see cref="PredictBatch(IReadOnlyList{string}, IReadOnlyList{string}?, int, CancellationToken)"/> run without gradients in eval mode and are safe to call from many threads.
/// </summary>
/// <remarks>
/// Saved as a Hugging Face folder: <c>config.json</c> (the BERT config plus <c>id2label</c>, <c>label2id</c>,
/// <c>problem_type</c> and a <c>bert_net</c> section with the head settings), <c>model.safetensors</c> (names
/// <c>bert.*</c>, <c>classifier.*</c>), the tokenizer files and a manifest (see <see cref="Save"/>).
/// <see cref="Dispose"/> releases the model: afterwards <see cref="Model"/>, <see cref="Predict"/>, the
/// <c>PredictBatch</c> overloads and <see cref="Save"/> throw <see cref="ObjectDisposedException"/> (a save never
/// writes an empty model over a good one); the labels and settings stay readable. Disposing while other threads
/// predict is safe: their running calls finish first.
/// </remarks>
public sealed class TextClassifier : IDisposable
{
    private readonly IBertIndexer indexer;
    private readonly BertForSequenceClassification model;
    private readonly DisposalGuard guard;

    /// <summary>Wraps a trained model for inference.</summary>
    /// <param name="model">The classifier (it is switched to eval mode and moved to <paramref name="device"/>).</param>
    /// <param name="indexer">The indexer the model was trained with.</param>
    /// <param name="labels">Label names in output order.</param>
    /// <param name="tokenizerFile">The tokenizer's file, for reference (saves write the tokenizer from <paramref name="indexer"/>).</param>
    /// <param name="maxSequenceLength">
    /// Truncation length used in training: 2 up to the model's <c>max_position_embeddings</c>. The indexer also cuts
    /// at its own <see cref="IBertIndexer.MaxSequenceLength"/>, so the length in effect (and <see cref="MaxSequenceLength"/>,
    /// what <see cref="Save"/> and the ONNX export write) is the smaller of the two.
    /// </param>
    /// <param name="lowerCase">Ignored: whether texts are lower-cased is the indexer's setting (kept for source compatibility).</param>
    /// <param name="device">Where the model runs and batches are made; null for the CPU (CUDA is untested).</param>
    public TextClassifier(
        BertForSequenceClassification model, IBertIndexer indexer, IReadOnlyList<string> labels,
        string tokenizerFile, int maxSequenceLength, bool lowerCase = false, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(indexer);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentException.ThrowIfNullOrEmpty(tokenizerFile);
        if (labels.Count != model.NumLabels)
            throw new ArgumentException($"The model has {model.NumLabels} outputs but {labels.Count} labels were given.", nameof(labels));
        if (maxSequenceLength < 2 || maxSequenceLength > model.Bert.Config.MaxPositionEmbeddings)
            throw new ArgumentOutOfRangeException(nameof(maxSequenceLength), maxSequenceLength,
                $"The truncation length must be 2..{model.Bert.Config.MaxPositionEmbeddings} (the model's max_position_embeddings, at least [CLS] and [SEP]).");
        this.model = model;
        guard = new DisposalGuard(model.Dispose);
        this.indexer = indexer;
        Labels = labels.ToArray();
        TokenizerFile = tokenizerFile;
        // The indexer has already cut every text at its own length: the smaller of the two is what the model sees, and
        // what a save or an export must write for the reloaded classifier to predict the same.
        MaxSequenceLength = Math.Min(maxSequenceLength, indexer.MaxSequenceLength);
        _ = lowerCase;
        LowerCase = LowerCaseOf(indexer);
        collator = new ClassificationCollator(indexer.PadId, MaxSequenceLength, PadMultiple, device);
        collator.Place(model);
        model.eval();
    }

    private readonly ClassificationCollator collator;

    /// <summary>The classification model.</summary>
    /// <exception cref="ObjectDisposedException">The classifier was disposed.</exception>
    public BertForSequenceClassification Model
    {
        get
        {
            ThrowIfDisposed();
            return model;
        }
    }

    /// <summary>Label names, in the order of the model's outputs.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Single-label, multi-label or regression (the model head's).</summary>
    public ProblemType ProblemType => model.Options.ProblemType;

    /// <summary>Multi-label: the probability at which a label is predicted (the model head's <see cref="ClassificationHeadOptions.Threshold"/>).</summary>
    public double Threshold => model.Options.Threshold;

    /// <summary>The device the model runs on.</summary>
    public Device Device => collator.Device;

    /// <summary>The indexer (tokenizer) the model was trained with; saves and exports write its files.</summary>
    public IBertIndexer Indexer => indexer;

    /// <summary>The tokenizer file this classifier was created with (informational: saves write the tokenizer from <see cref="Indexer"/>).</summary>
    public string TokenizerFile { get; }

    /// <summary>
    /// Texts are truncated to this many pieces (with [CLS] and [SEP]; pairs longest-first): the smaller of the
    /// constructor's <c>maxSequenceLength</c> and the indexer's <see cref="IBertIndexer.MaxSequenceLength"/>. Saved as
    /// <c>bert_net.max_seq_len</c> and exported as <c>serving.json</c>'s <c>max_seq_len</c>, so a loaded or served
    /// classifier cuts where this one does.
    /// </summary>
    public int MaxSequenceLength { get; }

    /// <summary>Batches are padded to a multiple of 8 positions, as in training (see <see cref="BertBatch.PaddedLength"/>).</summary>
    private const int PadMultiple = 8;

    /// <summary>Whether texts are lower-cased before tokenization.</summary>
    public bool LowerCase { get; }

    /// <summary>
    /// Whether the model was trained on sentence pairs (true) or single texts (false); null when unknown (no check).
    /// When known, a prediction of the other kind is refused (a pair model reading one text, or the reverse, gives
    /// numbers without meaning). Saved as <c>bert_net.pairs</c> and exported to <c>serving.json</c>.
    /// </summary>
    public bool? Pairs { get; init; }

    /// <summary>The prediction for one text, or one pair (<c>[CLS] text [SEP] pair [SEP]</c>).</summary>
    /// <param name="text">The text (first text of a pair).</param>
    /// <param name="pair">The second text, for models trained on pairs; null otherwise.</param>
    /// <exception cref="ObjectDisposedException">The classifier was disposed.</exception>
    public Prediction Predict(string text, string? pair = null)
    {
        using var call = guard.Enter(this);
        ArgumentNullException.ThrowIfNull(text);
        return PredictBatch([text], pair is null ? null : [pair])[0];
    }

    /// <summary>Predicts many texts, longest first in batches padded to their own longest; results in input order.</summary>
    /// <param name="texts">The texts.</param>
    /// <param name="batchSize">Texts per forward pass at most (fewer when the batches run side by side: see <see cref="TorchRuntime.ParallelInferenceBatches"/>).</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <exception cref="ObjectDisposedException">The classifier was disposed.</exception>
    public IReadOnlyList<Prediction> PredictBatch(IReadOnlyList<string> texts, int batchSize = 32, CancellationToken cancellationToken = default) =>
        PredictBatch(texts, null, batchSize, cancellationToken);

    /// <summary>Predicts many texts or pairs, longest first in batches padded to their own longest; results in input order.</summary>
    /// <param name="texts">The texts (first texts of the pairs).</param>
    /// <param name="pairs">The second texts, as many as <paramref name="texts"/>; null for single texts.</param>
    /// <param name="batchSize">Texts per forward pass at most (fewer when the batches run side by side: see <see cref="TorchRuntime.ParallelInferenceBatches"/>).</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <exception cref="ObjectDisposedException">The classifier was disposed.</exception>
    public IReadOnlyList<Prediction> PredictBatch(IReadOnlyList<string> texts, IReadOnlyList<string>? pairs, int batchSize = 32, CancellationToken cancellationToken = default)
    {
        using var call = guard.Enter(this);
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        PairCheck.Check(Pairs, pairs is not null);
        var inputs = indexer.EncodeMany(texts, pairs).Select(e => e.Truncate(MaxSequenceLength)).ToArray();
        var order = Enumerable.Range(0, inputs.Length).OrderByDescending(i => inputs[i].Length).ToArray();
        var batches = InferenceStreams.Batches(order, batchSize, Device);
        var results = new Prediction[inputs.Length];
        InferenceStreams.ForEachBatch(batches.Length, Device, b =>
        {
            var rows = batches[b];
            var (ids, types, mask) = collator.Inputs(rows.Select(r => inputs[r]).ToArray());
            var outputs = DevicePlacement.ToFloats(model.Probabilities(model.forward(ids, types, mask)));
            for (int r = 0; r < rows.Length; r++)
                results[rows[r]] = Prediction.FromOutputs(outputs.AsSpan(r * Labels.Count, Labels.Count), Labels, ProblemType, Threshold);
        }, cancellationToken);
        return results;
    }

    /// <summary>
    /// Saves the classifier into <paramref name="directory"/> as a Hugging Face <c>BertForSequenceClassification</c>
    /// folder: <c>config.json</c> (with <c>id2label</c>, <c>label2id</c>, <c>problem_type</c> and a <c>bert_net</c>
    /// section for the head and truncation), <c>model.safetensors</c>, the tokenizer (<c>vocab.txt</c> or
    /// <c>spiece.model</c>, <c>tokenizer_config.json</c>, <c>special_tokens_map.json</c>), the extra files, and last the
    /// manifest <c>bert_net_manifest.json</c> (names, sizes, SHA-256) that <see cref="Load"/> verifies. Only these files
    /// are written: everything else in the folder is left as it was. Each file goes to a hidden temporary sibling and is
    /// renamed into place once all are on disk, so a process killed at any moment leaves the previous save or the new
    /// one loadable; the folder is locked while the save runs.
    /// </summary>
    /// <param name="directory">The target folder (created when missing; may hold other files).</param>
    /// <param name="extraFiles">Optional text files to store beside the model (name, content), e.g. the report.</param>
    /// <exception cref="ArgumentException">An extra file's name is not a plain file name or is one of the model's files.</exception>
    /// <exception cref="IOException">Another process is writing the folder, or a target is not a regular file.</exception>
    /// <exception cref="ObjectDisposedException">The classifier was disposed (nothing is written).</exception>
    public void Save(string directory, IReadOnlyDictionary<string, string>? extraFiles = null)
    {
        using var call = guard.Enter(this);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var weights = ModelWeights.ToSave(model, "The classifier");
        using var save = SaveTransaction.Begin(directory, SaveKind.Classifier, "saving a classifier");
        HuggingFaceFolder.WriteModel(save, ConfigJson(), weights);
        var owned = new List<string> { HuggingFaceFolder.ConfigFile, HuggingFaceFolder.WeightsFile };
        HuggingFaceTokenizerFolder.Write(indexer, (name, write) =>
        {
            owned.Add(name);
            save.Write(name, write);
        });
        foreach (var (name, content) in extraFiles ?? new Dictionary<string, string>())
        {
            if (owned.Contains(name, StringComparer.OrdinalIgnoreCase))
                throw new ArgumentException($"'{name}' is one of the model's own files and cannot be an extra file.", nameof(extraFiles));
            save.WriteText(name, content);
        }
        save.Commit();
    }

    private string ConfigJson()
    {
        var config = JsonNode.Parse(model.Bert.Config.ToJson())!.AsObject();
        config["architectures"] = new JsonArray("BertForSequenceClassification");
        config["model_type"] = "bert";
        var id2label = new JsonObject();
        var label2id = new JsonObject();
        for (int i = 0; i < Labels.Count; i++)
        {
            id2label[i.ToString(CultureInfo.InvariantCulture)] = Labels[i];
            label2id[Labels[i]] = i;
        }
        config["id2label"] = id2label;
        config["label2id"] = label2id;
        config["problem_type"] = HuggingFaceProblemTypes[model.Options.ProblemType];
        config["bert_net"] = new JsonObject
        {
            ["pooling"] = model.Options.Pooling.ToString(),
            ["concat_layers"] = model.Options.ConcatLayers,
            ["problem_type"] = model.Options.ProblemType.ToString(),
            ["threshold"] = model.Options.Threshold,
            ["max_seq_len"] = MaxSequenceLength,
        };
        if (Pairs is { } trainedOnPairs) config["bert_net"]!["pairs"] = trainedOnPairs;
        return config.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>
    /// Loads a classifier: a folder written by <see cref="Save"/> (its manifest is verified first, so an interrupted or
    /// altered save is reported by file name instead of loading mixed weights), or a Hugging Face
    /// <c>BertForSequenceClassification</c> folder as transformers writes it: <c>config.json</c> with <c>id2label</c>
    /// (and <c>problem_type</c>), <c>model.safetensors</c> or <c>pytorch_model.bin</c> (sharded or not, with or
    /// without the <c>bert.</c> prefix), and its tokenizer (<c>vocab.txt</c>, a SentencePiece model or a WordPiece
    /// <c>tokenizer.json</c>, with <c>tokenizer_config.json</c> / <c>special_tokens_map.json</c>; an uncased
    /// <c>vocab.txt</c> without settings is lower-cased, as transformers does). The head is the pooler output, a
    /// dropout and a linear layer, as transformers' <c>BertForSequenceClassification</c>.
    /// </summary>
    /// <param name="directory">The folder.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <param name="device">Where the model runs; null for the CPU (CUDA is untested).</param>
    /// <exception cref="InvalidDataException">A file in it is missing, malformed or inconsistent; the message names it.</exception>
    public static TextClassifier Load(string directory, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        directory = Path.GetFullPath(directory);
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"No saved classifier at {directory}.");
        TorchRuntime.EnsureAvailable();
        // A saved folder is read from one verified snapshot of its save (a save committing meanwhile changes nothing read).
        using var snapshot = SaveSnapshot.Take(directory);
        var files = snapshot?.Paths;
        string? PathOf(string name) => files is not null
            ? files.GetValueOrDefault(name)
            : File.Exists(Path.Combine(directory, name)) ? Path.Combine(directory, name) : null;

        string configPath = PathOf(HuggingFaceFolder.ConfigFile)
            ?? throw new InvalidDataException($"{directory} holds no {HuggingFaceFolder.ConfigFile}: it is not a saved classifier.");
        JsonObject root;
        try
        {
            root = JsonNode.Parse(BoundedFile.ReadAllText(configPath, BoundedFile.MaxJsonBytes, "classifier config"))?.AsObject()
                ?? throw new InvalidDataException($"{configPath} is empty.");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new InvalidDataException($"{configPath} is not a JSON object: {ex.Message}", ex);
        }
        var bertConfig = BertConfig.FromJsonFile(configPath);
        // Every field is read by type and range (JsonFields): a hand-edited "0.3" or 1.5 is refused naming file and field.
        var settings = JsonFields.OptionalObject(root, "bert_net", "bert_net", configPath) ?? new JsonObject();
        var labels = ReadLabels(root, configPath);
        var head = new ClassificationHeadOptions
        {
            Pooling = settings["pooling"] is null ? PoolingStrategy.Pooler : JsonFields.RequiredEnum<PoolingStrategy>(settings, "pooling", "bert_net.pooling", configPath),
            ConcatLayers = JsonFields.OptionalInt(settings, "concat_layers", "bert_net.concat_layers", configPath, min: 1) ?? 4,
            ProblemType = ReadProblemType(root, settings, labels.Length, configPath),
            Threshold = JsonFields.OptionalNumber(settings, "threshold", "bert_net.threshold", configPath, 0, 1, inclusive: false) ?? 0.5,
        };
        int? savedLength = JsonFields.OptionalInt(settings, "max_seq_len", "bert_net.max_seq_len", configPath, 2, bertConfig.MaxPositionEmbeddings);
        try
        {
            head.Validate(bertConfig.NumHiddenLayers);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"{configPath}: bert_net: {ex.Message}", ex);
        }

        var indexer = HuggingFaceTokenizerFolder.Load(directory, name => PathOf(name), savedLength,
            fallbackLowerCase: JsonFields.OptionalBool(settings, "lower_case", "bert_net.lower_case", configPath));
        int maxLen = Math.Min(savedLength ?? indexer.MaxSequenceLength, bertConfig.MaxPositionEmbeddings);
        bertConfig.ValidateIndexer(indexer, directory);

        // The config against the weights' headers before any tensor is allocated (a config with hidden_size 8192 or
        // 100000 layers fails here in milliseconds instead of building gigabytes first).
        string weights = PathOf(HuggingFaceFolder.WeightsFile) ?? directory;
        var strict = new CheckpointLoadOptions { AllowPositionSlicing = false };
        BertCheckpointLoader.CheckShapes(bertConfig, weights, strict);
        var model = new BertForSequenceClassification(new BertModel(bertConfig), labels.Length, head);
        try
        {
            // Strict: every weight present with its exact shape, nothing extra (the loader names file and tensor otherwise).
            BertCheckpointLoader.Load(model, weights, strict);
            string tokenizerFile = PathOf(HuggingFaceTokenizerFolder.VocabFile) ?? PathOf(HuggingFaceTokenizerFolder.SentencePieceFile) ?? configPath;
            return new TextClassifier(model, indexer, labels, tokenizerFile, maxLen, LowerCaseOf(indexer), device)
            {
                Pairs = JsonFields.OptionalBool(settings, "pairs", "bert_net.pairs", configPath),
            };
        }
        catch (InvalidDataException ex) when (ex.Message.Contains("classifier.", StringComparison.Ordinal))
        {
            model.Dispose();
            throw new InvalidDataException($"{ex.Message} ({configPath} lists {labels.Length} labels in id2label; the classifier's weights must have as many rows.)", ex);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static readonly Dictionary<ProblemType, string> HuggingFaceProblemTypes = new()
    {
        [ProblemType.SingleLabel] = "single_label_classification",
        [ProblemType.MultiLabel] = "multi_label_classification",
        [ProblemType.Regression] = "regression",
    };

    private static string[] ReadLabels(JsonObject root, string configPath)
    {
        if (root["id2label"] is not JsonObject id2label)
        {
            if (root["id2label"] is { } other)
                throw JsonFields.Invalid(configPath, "id2label", other, "an object mapping 0, 1, ... to label names");
            int count = JsonFields.OptionalInt(root, "num_labels", "num_labels", configPath, 1, 100_000) ?? 2;
            return Enumerable.Range(0, count).Select(i => "LABEL_" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        }
        var labels = new string[id2label.Count];
        foreach (var (key, value) in id2label)
        {
            if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index < 0 || index >= labels.Length
                || value is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
                throw new InvalidDataException($"{configPath}: id2label must map 0..{labels.Length - 1} to label names; found '{key}': {value?.ToJsonString() ?? "null"}.");
            labels[index] = v.GetValue<string>();
        }
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] is null)
                throw new InvalidDataException($"{configPath}: id2label has no entry for {i}.");
            if (string.IsNullOrWhiteSpace(labels[i]) || labels[i].Trim() != labels[i])
                throw new InvalidDataException($"{configPath}: id2label[{i}] is '{labels[i]}'; label names must be non-empty without surrounding spaces.");
        }
        if (labels.Distinct(StringComparer.Ordinal).Count() != labels.Length)
            throw new InvalidDataException($"{configPath}: id2label names a label twice ({string.Join(", ", labels.GroupBy(x => x).Where(g => g.Count() > 1).Select(g => g.Key))}).");
        return labels;
    }

    private static bool LowerCaseOf(IBertIndexer indexer) => indexer switch
    {
        WordPieceIndexer w => w.Options.LowerCase,
        SentencePieceIndexer s => s.Options.LowerCase,
        BertJapaneseIndexer j => j.Options.LowerCase,
        _ => false,
    };

    private static ProblemType ReadProblemType(JsonObject root, JsonObject settings, int labelCount, string configPath)
    {
        if (settings["problem_type"] is not null)
            return JsonFields.RequiredEnum<ProblemType>(settings, "problem_type", "bert_net.problem_type", configPath);
        if (root["problem_type"] is JsonValue hf && hf.GetValueKind() == JsonValueKind.String)
        {
            string name = hf.GetValue<string>();
            return HuggingFaceProblemTypes.FirstOrDefault(kv => kv.Value == name) is { Value: not null } match
                ? match.Key
                : throw new InvalidDataException($"{configPath}: problem_type is '{name}'; expected {string.Join(", ", HuggingFaceProblemTypes.Values)}.");
        }
        // transformers' rule when problem_type is unset: one output is regression, more are single-label.
        return labelCount == 1 ? ProblemType.Regression : ProblemType.SingleLabel;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(guard.IsDisposed, this);

    /// <summary>
    /// Releases the model once the predictions and saves running on other threads have finished; calls that start
    /// from now on throw <see cref="ObjectDisposedException"/>. Called from inside one of this classifier's calls, it
    /// returns at once and the model is released when that call leaves. Calling it again does nothing.
    /// </summary>
    public void Dispose() => guard.Dispose();
}
