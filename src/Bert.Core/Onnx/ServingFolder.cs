using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bert.Core.IO;
using Bert.Tokenization;

namespace Bert.Core.Onnx;

/// <summary>
/// Writes the folder Bert.Serving loads: the ONNX model, the tokenizer file (<c>vocab.txt</c> or <c>tokenizer.model</c>)
/// and <c>serving.json</c>, whose common keys are <c>format</c>, <c>format_version</c>, <c>model</c>,
/// <c>max_seq_len</c> and <c>tokenizer</c> (<c>file</c>, <c>lower_case</c>); the caller adds its own (labels, pooling, ...).
/// </summary>
internal static class ServingFolder
{
    public const string ManifestFileName = "serving.json";
    public const string DefaultModelFileName = "model.onnx";

    /// <summary>
    /// Writes the three parts. <paramref name="output"/> is a folder (model.onnx inside) or a path ending in .onnx
    /// (the model's name; the rest beside it). Returns the model's path.
    /// </summary>
    public static string Write(string output, Action<Stream> writeModel, IBertIndexer indexer, int maxSequenceLength, JsonObject manifest)
    {
        ArgumentException.ThrowIfNullOrEmpty(output);
        ArgumentNullException.ThrowIfNull(indexer);
        string modelPath = output.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)
            ? Path.GetFullPath(output)
            : Path.Combine(Path.GetFullPath(output), DefaultModelFileName);
        string folder = Path.GetDirectoryName(modelPath)!;
        // One save transaction (only these files, all or none visible), the tokenizer through the one writer of
        // Hugging Face tokenizer files: every indexer option (and MeCab's dictionary folder) survives the export.
        using var save = SaveTransaction.Begin(folder, SaveKind.OnnxServing, "exporting an ONNX model");
        save.Write(Path.GetFileName(modelPath), writeModel);
        HuggingFaceTokenizerFolder.Write(indexer, save.Write);
        var root = new JsonObject
        {
            ["format"] = manifest["format"]?.DeepClone(),
            ["format_version"] = 2,
            ["model"] = Path.GetFileName(modelPath),
            ["max_seq_len"] = maxSequenceLength,
        };
        foreach (var (key, value) in manifest)
        {
            if (key != "format") root[key] = value?.DeepClone();
        }
        save.WriteText(ManifestFileName, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
        save.Commit();
        return modelPath;
    }
}
