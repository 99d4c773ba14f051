using System.Text.Json;
using System.Text.Json.Nodes;
using Bert.Core;
using Bert.Core.Checkpoints;
using Bert.Core.Modeling;
using Bert.Tokenization;
using static TorchSharp.torch;
using Bert.Core.IO;

namespace Bert.Classification;

/// <summary>
/// A fine-tuned classifier ready for inference: the model, its tokenizer and its labels. <see cref="Predict"/> and
/// <see cref="PredictBatch(IReadOnlyList{string}, IReadOnlyList{string}?, int, CancellationToken)"/> run without gradients in eval mode and are safe to call from many threads.
/// </summary>
/// <remarks>
/// Saved as a folder: <c>config.json</c> (the BERT config plus <c>id2label</c>, <c>label2id</c> and a
/// <c>bert_net</c> section with the head and tokenizer settings), <c>model.safetensors</c> (Hugging Face names
/// <c>bert.*</c>, <c>classifier.*</c>) and the tokenizer file (<c>tokenizer.model</c> or <c>vocab.txt</c>).
/// </remarks>
public sealed class TextClassifier : IDisposable
{
    private const string ConfigFile = "config.json";
    private const string WeightsFile = "model.safetensors";
    private readonly IBertIndexer indexer;

    /// <summary>Wraps a trained model for inference.</summary>
    /// <param name="model">The classifier (it is switched to eval mode and moved to <paramref name="device"/>).</param>
    /// <param name="indexer">The indexer the model was trained with.</param>
    /// <param name="labels">Label names in output order.</param>
    /// <param name="tokenizerFile">The tokenizer's file (SentencePiece <c>.model</c> or WordPiece <c>vocab.txt</c>), copied on save.</param>
    /// <param name="maxSequenceLength">Truncation length used in training.</param>
    /// <param name="lowerCase">Whether the indexer lower-cases (saved so that loading re-creates it).</param>
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
        Model = model;
        this.indexer = indexer;
        Labels = labels.ToArray();
        TokenizerFile = tokenizerFile;
        MaxSequenceLength = maxSequenceLength;
        LowerCase = lowerCase;
        collator = new ClassificationCollator(indexer.PadId, maxSequenceLength, PadMultiple, device);
        collator.Place(model);
        model.eval();
    }

    private readonly ClassificationCollator collator;

    /// <summary>The classification model.</summary>
    public BertForSequenceClassification Model { get; }

    /// <summary>Label names, in the order of the model's outputs.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Single-label, multi-label or regression (the model head's).</summary>
    public ProblemType ProblemType => Model.Options.ProblemType;

    /// <summary>Multi-label: the probability at which a label is predicted (the model head's <see cref="ClassificationHeadOptions.Threshold"/>).</summary>
    public double Threshold => Model.Options.Threshold;

    /// <summary>The device the model runs on.</summary>
    public Device Device => collator.Device;

    /// <summary>The tokenizer file this classifier uses.</summary>
    public string TokenizerFile { get; }

    /// <summary>Texts are truncated to this many pieces (with [CLS] and [SEP]; pairs longest-first).</summary>
    public int MaxSequenceLength { get; }

    /// <summary>Batches are padded to a multiple of 8 positions, as in training (see <see cref="BertBatch.PaddedLength"/>).</summary>
    private const int PadMultiple = 8;

    /// <summary>Whether texts are lower-cased before tokenization.</summary>
    public bool LowerCase { get; }

    /// <summary>The prediction for one text, or one pair (<c>[CLS] text [SEP] pair [SEP]</c>).</summary>
    /// <param name="text">The text (first text of a pair).</param>
    /// <param name="pair">The second text, for models trained on pairs; null otherwise.</param>
    public Prediction Predict(string text, string? pair = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return PredictBatch([text], pair is null ? null : [pair])[0];
    }

    /// <summary>Predicts many texts, longest first in batches padded to their own longest; results in input order.</summary>
    /// <param name="texts">The texts.</param>
    /// <param name="batchSize">Texts per forward pass.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    public IReadOnlyList<Prediction> PredictBatch(IReadOnlyList<string> texts, int batchSize = 32, CancellationToken cancellationToken = default) =>
        PredictBatch(texts, null, batchSize, cancellationToken);

    /// <summary>Predicts many texts or pairs, longest first in batches padded to their own longest; results in input order.</summary>
    /// <param name="texts">The texts (first texts of the pairs).</param>
    /// <param name="pairs">The second texts, as many as <paramref name="texts"/>; null for single texts.</param>
    /// <param name="batchSize">Texts per forward pass.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    public IReadOnlyList<Prediction> PredictBatch(IReadOnlyList<string> texts, IReadOnlyList<string>? pairs, int batchSize = 32, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var inputs = indexer.EncodeMany(texts, pairs).Select(e => e.Truncate(MaxSequenceLength)).ToArray();
        var order = Enumerable.Range(0, inputs.Length).OrderByDescending(i => inputs[i].Length).ToArray();
        var results = new Prediction[inputs.Length];
        using var noGrad = no_grad();
        for (int start = 0; start < order.Length; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var rows = order.Skip(start).Take(batchSize).ToArray();
            var (ids, types, mask) = collator.Inputs(rows.Select(r => inputs[r]).ToArray());
            var outputs = ClassificationCollator.ToFloats(Model.Probabilities(Model.forward(ids, types, mask)));
            for (int r = 0; r < rows.Length; r++)
                results[rows[r]] = Prediction.FromOutputs(outputs.AsSpan(r * Labels.Count, Labels.Count), Labels, ProblemType, Threshold);
        }
        return results;
    }

    /// <summary>
    /// Writes the classifier to <paramref name="directory"/> atomically: everything goes into a temporary sibling
    /// folder that then replaces the target, so a failure or a killed process leaves a complete save behind
    /// (<see cref="Load"/> also finds the previous save when the process died between the two renames of the swap).
    /// </summary>
    /// <param name="directory">The target folder (created or replaced).</param>
    /// <param name="extraFiles">Optional text files to store beside the model (name, content), e.g. the report.</param>
    public void Save(string directory, IReadOnlyDictionary<string, string>? extraFiles = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        AtomicDirectory.Replace(directory, temp => WriteFiles(temp, extraFiles));
    }

    private void WriteFiles(string folder, IReadOnlyDictionary<string, string>? extraFiles)
    {
        var config = JsonNode.Parse(Model.Bert.Config.ToJson())!.AsObject();
        config["architectures"] = new JsonArray("BertForSequenceClassification");
        config["model_type"] = "bert";
        var id2label = new JsonObject();
        var label2id = new JsonObject();
        for (int i = 0; i < Labels.Count; i++)
        {
            id2label[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = Labels[i];
            label2id[Labels[i]] = i;
        }
        config["id2label"] = id2label;
        config["label2id"] = label2id;
        string tokenizerName = TokenizerKindFileName(TokenizerFile);
        config["bert_net"] = new JsonObject
        {
            ["pooling"] = Model.Options.Pooling.ToString(),
            ["concat_layers"] = Model.Options.ConcatLayers,
            ["problem_type"] = Model.Options.ProblemType.ToString(),
            ["threshold"] = Model.Options.Threshold,
            ["max_seq_len"] = MaxSequenceLength,
            ["lower_case"] = LowerCase,
            ["tokenizer"] = tokenizerName,
        };
        File.WriteAllText(Path.Combine(folder, ConfigFile), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        SafeTensors.Write(Path.Combine(folder, WeightsFile), Model.state_dict());
        File.Copy(TokenizerFile, Path.Combine(folder, tokenizerName));
        if (extraFiles is not null)
        {
            foreach (var (name, content) in extraFiles)
            {
                if (name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name is ConfigFile or WeightsFile || name == tokenizerName)
                    throw new ArgumentException($"'{name}' cannot be stored beside the model.", nameof(extraFiles));
                File.WriteAllText(Path.Combine(folder, name), content);
            }
        }
    }

    /// <summary>Loads a classifier saved by <see cref="Save"/>.</summary>
    /// <param name="directory">The folder.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <param name="device">Where the model runs; null for the CPU (CUDA is untested).</param>
    /// <exception cref="InvalidDataException">A file in it is missing or malformed.</exception>
    public static TextClassifier Load(string directory, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        directory = AtomicDirectory.Resolve(directory)
            ?? throw new DirectoryNotFoundException($"No saved classifier at {directory}.");
        TorchRuntime.EnsureAvailable();
        string configPath = Path.Combine(directory, ConfigFile);
        if (!File.Exists(configPath))
            throw new InvalidDataException($"{directory} holds no {ConfigFile}: it is not a saved classifier.");
        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(configPath))?.AsObject()
                ?? throw new InvalidDataException($"{configPath} is empty.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{configPath} is not valid JSON: {ex.Message}", ex);
        }
        var bertConfig = BertConfig.FromJsonFile(configPath);
        var settings = root["bert_net"]?.AsObject()
            ?? throw new InvalidDataException($"{configPath} has no 'bert_net' section: it was not written by TextClassifier.Save.");
        var id2label = root["id2label"]?.AsObject()
            ?? throw new InvalidDataException($"{configPath} has no 'id2label'.");
        var labels = new string[id2label.Count];
        foreach (var (key, value) in id2label)
        {
            if (!int.TryParse(key, out int index) || index < 0 || index >= labels.Length || value is null)
                throw new InvalidDataException($"{configPath}: id2label must map 0..{labels.Length - 1} to names; found key '{key}'.");
            labels[index] = value.GetValue<string>();
        }

        var head = new ClassificationHeadOptions
        {
            Pooling = Enum.Parse<PoolingStrategy>(Setting(settings, "pooling", configPath)),
            ConcatLayers = settings["concat_layers"]?.GetValue<int>() ?? 4,
            ProblemType = Enum.Parse<ProblemType>(Setting(settings, "problem_type", configPath)),
            Threshold = settings["threshold"]?.GetValue<double>() ?? 0.5,
        };
        int maxLen = settings["max_seq_len"]?.GetValue<int>() ?? bertConfig.MaxPositionEmbeddings;
        bool lower = settings["lower_case"]?.GetValue<bool>() ?? false;
        string tokenizerPath = Path.Combine(directory, Setting(settings, "tokenizer", configPath));
        if (!File.Exists(tokenizerPath))
            throw new InvalidDataException($"The tokenizer file {tokenizerPath} named in {configPath} is missing.");

        IBertIndexer indexer = Path.GetFileName(tokenizerPath) == "vocab.txt"
            ? WordPieceIndexer.Load(tokenizerPath, new WordPieceIndexerOptions { MaxSequenceLength = maxLen, LowerCase = lower })
            : SentencePieceIndexer.Load(tokenizerPath, new SentencePieceIndexerOptions { MaxSequenceLength = maxLen, LowerCase = lower });

        var model = new BertForSequenceClassification(new BertModel(bertConfig), labels.Length, head);
        // Strict: every weight present with its exact shape, nothing extra (the loader names file and tensor otherwise).
        BertCheckpointLoader.Load(model, Path.Combine(directory, WeightsFile), new CheckpointLoadOptions { AllowPositionSlicing = false });
        return new TextClassifier(model, indexer, labels, tokenizerPath, maxLen, lower, device);
    }

    /// <inheritdoc />
    public void Dispose() => Model.Dispose();

    private static string TokenizerKindFileName(string path) =>
        Path.GetFileName(path).Equals("vocab.txt", StringComparison.OrdinalIgnoreCase) ? "vocab.txt" : "tokenizer.model";

    private static string Setting(JsonObject settings, string key, string path) =>
        settings[key]?.GetValue<string>() ?? throw new InvalidDataException($"{path}: 'bert_net.{key}' is missing.");
}
