using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bert.Core.IO;

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
    public static string Write(string output, Action<Stream> writeModel, string tokenizerFile, bool lowerCase, int maxSequenceLength, JsonObject manifest)
    {
        ArgumentException.ThrowIfNullOrEmpty(output);
        if (!File.Exists(tokenizerFile))
            throw new FileNotFoundException($"Tokenizer file '{tokenizerFile}' not found.", tokenizerFile);
        string modelPath = output.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)
            ? Path.GetFullPath(output)
            : Path.Combine(Path.GetFullPath(output), DefaultModelFileName);
        string folder = Path.GetDirectoryName(modelPath)!;
        Directory.CreateDirectory(folder);
        AtomicFile.Write(modelPath, writeModel);

        string tokenizerName = Path.GetFileName(tokenizerFile).Equals("vocab.txt", StringComparison.OrdinalIgnoreCase) ? "vocab.txt" : "tokenizer.model";
        string tokenizerPath = Path.Combine(folder, tokenizerName);
        if (!string.Equals(Path.GetFullPath(tokenizerFile), tokenizerPath, StringComparison.Ordinal))
        {
            AtomicFile.Write(tokenizerPath, stream =>
            {
                using var source = File.OpenRead(tokenizerFile);
                source.CopyTo(stream);
            });
        }

        var root = new JsonObject
        {
            ["format"] = manifest["format"]?.DeepClone(),
            ["format_version"] = 1,
            ["model"] = Path.GetFileName(modelPath),
            ["max_seq_len"] = maxSequenceLength,
            ["tokenizer"] = new JsonObject { ["file"] = tokenizerName, ["lower_case"] = lowerCase },
        };
        foreach (var (key, value) in manifest)
        {
            if (key != "format") root[key] = value?.DeepClone();
        }
        AtomicFile.WriteAllText(Path.Combine(folder, ManifestFileName),
            root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
        return modelPath;
    }
}
