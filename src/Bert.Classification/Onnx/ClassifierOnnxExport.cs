using Bert.Core.Modeling;
using System.Text.Json.Nodes;
using Bert.Core.Onnx;

namespace Bert.Classification.Onnx;

/// <summary>
/// Exports a classifier for serving without libtorch: the ONNX graph of a <see cref="BertForSequenceClassification"/>
/// (output <c>logits</c>, (batch, labels)) and, for a <see cref="TextClassifier"/>, the serving folder that
/// <c>Bert.Serving.OnnxTextClassifier.Load</c> reads: the model, the tokenizer file and <c>serving.json</c>
/// (labels, problem type, the head's multi-label threshold, the classifier's truncation length, tokenizer settings).
/// </summary>
/// <remarks>
/// The head's pooling (pooler, [CLS], masked mean, masked max, concatenated [CLS] of the last layers) is part of the
/// graph; dropout is not (inference). Probabilities (softmax / sigmoid) are left to the runtime, as Hugging Face's
/// exports do.
/// </remarks>
public static class ClassifierOnnxExport
{
    /// <summary>Name of the classifier's output, (batch, labels).</summary>
    public const string Logits = "logits";

    /// <summary>The serving manifest's file name.</summary>
    public const string ManifestFileName = ServingFolder.ManifestFileName;

    /// <summary>The model's file name when the export target is a folder.</summary>
    public const string DefaultModelFileName = ServingFolder.DefaultModelFileName;

    /// <summary>The value of the manifest's <c>format</c> key.</summary>
    public const string ManifestFormat = "bert-net-onnx-classifier";

    /// <summary>Writes the ONNX graph of <paramref name="model"/> (output <c>logits</c>) to <paramref name="output"/>.</summary>
    /// <param name="model">The classifier (any device or dtype; weights are written as float32).</param>
    /// <param name="output">The stream to write the ModelProto to.</param>
    /// <param name="options">Opset; null for the defaults.</param>
    public static void ExportModel(BertForSequenceClassification model, Stream output, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(output);
        var head = model.Options;
        OnnxExport.Write(model, "bert.", model.Bert.Config, output, options, "bert_classifier", (g, bert) =>
        {
            var pooled = head.Pooling switch
            {
                PoolingStrategy.Pooler => bert.Pooler(),
                PoolingStrategy.Cls => bert.Cls(bert.SequenceOutput),
                PoolingStrategy.MaskedMean => bert.MaskedMean(bert.SequenceOutput),
                PoolingStrategy.MaskedMax => bert.MaskedMax(bert.SequenceOutput),
                PoolingStrategy.ConcatLastLayers => g.Node("Concat",
                    [.. bert.HiddenStates.Skip(bert.HiddenStates.Count - head.ConcatLayers).Select(bert.Cls)],
                    [OnnxAttribute.Int("axis", 1)]),                                                  // k x (B, H) -> (B, k*H)
                _ => throw new NotSupportedException($"Pooling {head.Pooling} has no ONNX export."),
            };
            bert.Linear(pooled, "classifier", Logits);
            g.Output(Logits, OnnxGraphBuilder.Float, "batch", model.NumLabels);
        }, ignoreUnused: head.Pooling == PoolingStrategy.Pooler ? null : "pooler.");
    }

    /// <summary>
    /// Writes the serving folder of <paramref name="classifier"/>. <paramref name="output"/> is either a folder (the model
    /// is written as <c>model.onnx</c> in it) or a path ending in <c>.onnx</c> (the model gets that name and the other
    /// files go beside it). Existing files of the same names are replaced; one classifier per folder. <c>serving.json</c>
    /// holds <see cref="TextClassifier.Threshold"/> as <c>multi_label_threshold</c> and
    /// <see cref="TextClassifier.MaxSequenceLength"/> as <c>max_seq_len</c>, so the served labels equal the classifier's.
    /// </summary>
    /// <param name="classifier">The classifier.</param>
    /// <param name="output">The folder or the .onnx path.</param>
    /// <param name="options">Opset; null for the defaults.</param>
    /// <returns>The path of the written .onnx file.</returns>
    public static string Export(TextClassifier classifier, string output, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        options?.Validate(); // before any file is written
        var manifest = new JsonObject
        {
            ["format"] = ManifestFormat,
            ["problem_type"] = classifier.Model.Options.ProblemType.ToString(),
            ["labels"] = new JsonArray([.. classifier.Labels.Select(l => (JsonNode)JsonValue.Create(l)!)]),
            ["multi_label_threshold"] = classifier.Threshold,   // the head's ClassificationHeadOptions.Threshold
        };
        if (classifier.Pairs is { } pairs) manifest["pairs"] = pairs;
        return ServingFolder.Write(output, stream => ExportModel(classifier.Model, stream, options),
            classifier.Indexer, classifier.MaxSequenceLength, manifest);
    }
}
