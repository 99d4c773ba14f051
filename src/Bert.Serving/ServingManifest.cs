using System.Text.Json;
using System.Text.Json.Nodes;
using Bert.Tokenization;

namespace Bert.Serving;

/// <summary>
/// The <c>serving.json</c> of an exported folder (written by <c>Bert.Classification.Onnx.ClassifierOnnxExport</c> or
/// <c>Bert.Core.Onnx.OnnxExport.ExportEmbedderFolder</c>): format, model file, maximum length, tokenizer file and
/// settings, and the keys of its kind (<see cref="ReadClassifier"/>, <see cref="ReadEmbedder"/>). When the folder has a save
/// manifest, its files are read from <see cref="Snapshot"/> until this is disposed: load the model and the tokenizer before.
/// </summary>
internal sealed record ServingManifest(string ModelPath, int MaxSequenceLength, string Folder, JsonObject Root, string Path, Func<string, string?> PathOf, SaveSnapshot? Snapshot)
    : IDisposable
{
    public const string FileName = "serving.json";
    public const string ClassifierFormat = "bert-net-onnx-classifier";
    public const string EmbedderFormat = "bert-net-onnx-embedder";

    /// <summary>
    /// Reads and checks <c>serving.json</c> in <paramref name="folder"/>, which must be of <paramref name="format"/>.
    /// When the folder has a save manifest (every export writes one), each file is read from the save it lists, and
    /// checked against its size and SHA-256 first: a file changed or left half-written is refused by name, and a save
    /// committed meanwhile changes nothing that is read (<see cref="SaveSnapshot"/>).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">The manifest or a file it names is missing, malformed or changed (the message says which).</exception>
    public static ServingManifest Read(string folder, string format)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"No exported model folder at {folder}.");
        var snapshot = SaveSnapshot.Take(folder);
        try
        {
            var saved = snapshot?.Paths;
            Func<string, string?> pathOf = saved is not null ? name => saved.GetValueOrDefault(name) : HuggingFaceTokenizerFolder.PlainFolder(folder);
            string path = pathOf(FileName) ?? System.IO.Path.Combine(folder, FileName);
            if (!SaveSnapshot.FileExists(path))
                throw new InvalidDataException($"{folder} holds no {FileName}: it is not a folder written by 'bert export-onnx' (ClassifierOnnxExport.Export).");
            JsonObject root;
            try
            {
                root = JsonNode.Parse(BoundedFile.ReadAllText(path, BoundedFile.MaxJsonBytes, "serving manifest")) as JsonObject
                    ?? throw new InvalidDataException($"{path} must hold a JSON object.");
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"{path} is not valid JSON: {ex.Message}", ex);
            }
            if (JsonFields.RequiredString(root, "format", "format", path) is var found && found != format)
                throw new InvalidDataException($"{path}: 'format' is '{found}' but '{format}' is needed here.");
            int version = JsonFields.RequiredInt(root, "format_version", "format_version", path);
            if (version != 2)
                throw new InvalidDataException($"{path}: format_version {version}; this Bert.Serving reads 2 (export again with this version).");

            string model = ExistingFile(folder, JsonFields.RequiredString(root, "model", "model", path), path, "model", pathOf);
            int maxLength = JsonFields.RequiredInt(root, "max_seq_len", "max_seq_len", path, min: 3);
            return new ServingManifest(model, maxLength, folder, root, path, pathOf, snapshot);
        }
        catch
        {
            snapshot?.Dispose();
            throw;
        }
    }

    /// <summary>Closes the snapshot's files.</summary>
    public void Dispose() => Snapshot?.Dispose();

    /// <summary>
    /// Checks <see cref="MaxSequenceLength"/> against the graph's position count (when the export recorded it), so a
    /// hand-edited <c>max_seq_len</c> beyond it is refused at load instead of failing inside ONNX Runtime on the
    /// first long text.
    /// </summary>
    /// <exception cref="InvalidDataException">The length exceeds the model's positions.</exception>
    public void CheckLength(int? maxPositions)
    {
        if (maxPositions is { } positions && MaxSequenceLength > positions)
            throw new InvalidDataException($"{Path}: 'max_seq_len' is {MaxSequenceLength}; expected 3..{positions} (the model {System.IO.Path.GetFileName(ModelPath)} has {positions} positions).");
    }

    /// <summary>A classifier's keys: problem type, labels (one for regression, no duplicates) and multi-label threshold.</summary>
    public (OnnxProblemType ProblemType, string[] Labels, float Threshold) ReadClassifier()
    {
        var problem = JsonFields.RequiredEnum<OnnxProblemType>(Root, "problem_type", "problem_type", Path);   // exact names: not "1", not "SingleLabel, MultiLabel"
        var labels = (Root["labels"] as JsonArray ?? throw Missing(Path, "labels"))
            .Select((l, i) => l is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() is { } name && !string.IsNullOrWhiteSpace(name)
                ? name
                : throw new InvalidDataException($"{Path}: labels[{i}] must be a label name (a non-empty string); it is {l?.ToJsonString() ?? "null"}."))
            .ToArray();
        if (labels.Length == 0 || (problem == OnnxProblemType.Regression && labels.Length != 1))
            throw new InvalidDataException($"{Path}: 'labels' must list {(problem == OnnxProblemType.Regression ? "exactly one name" : "at least one label")}; it has {labels.Length}.");
        if (labels.Distinct(StringComparer.Ordinal).Count() != labels.Length)
            throw new InvalidDataException($"{Path}: 'labels' has duplicates.");
        // (0, 1) like ClassificationHeadOptions.Threshold and OnnxTextClassifierOptions.MultiLabelThreshold.
        float threshold = (float)(JsonFields.OptionalNumber(Root, "multi_label_threshold", "multi_label_threshold", Path, 0, 1, inclusive: false) ?? 0.5);
        return (problem, labels, threshold);
    }

    /// <summary>An embedder's keys: pooling name, whether vectors are L2-normalised, and their width.</summary>
    public (string Pooling, bool Normalized, int Dimensions) ReadEmbedder()
    {
        bool normalized = Root["normalized"] is JsonValue n && n.GetValueKind() is JsonValueKind.True or JsonValueKind.False
            ? n.GetValue<bool>() : throw Missing(Path, "normalized", "true or false");
        int dimensions = JsonFields.RequiredInt(Root, "dimensions", "dimensions", Path, min: 1);
        return (JsonFields.RequiredString(Root, "pooling", "pooling", Path), normalized, dimensions);
    }

    /// <summary>The tokenizer of the folder (its Hugging Face tokenizer files, every option as exported), truncating to <see cref="MaxSequenceLength"/>.</summary>
    public IBertIndexer LoadIndexer() =>
        HuggingFaceTokenizerFolder.Load(Folder, PathOf, MaxSequenceLength);

    private static string ExistingFile(string folder, string name, string path, string key, Func<string, string?> pathOf)
    {
        if (name.Length == 0 || name != System.IO.Path.GetFileName(name))
            throw new InvalidDataException($"{path}: '{key}' must be a file name inside the folder, not '{name}'.");
        string? file = pathOf(name);
        return file is not null && SaveSnapshot.FileExists(file) ? file
            : throw new InvalidDataException($"The file {System.IO.Path.Combine(folder, name)} named by '{key}' in {path} is missing{(file is null ? " from the folder's save manifest" : "")}.");
    }

    private static InvalidDataException Missing(string path, string key, string what = "present") =>
        new($"{path}: '{key}' must be {what}.");
}
