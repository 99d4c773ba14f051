namespace Bert.Core.IO;

/// <summary>
/// The kinds of save that <see cref="SaveTransaction"/> writes, recorded as <c>kind</c> in the folder's manifest. A
/// save removes only files that the previous save of its own kind owned; it refuses a folder that holds a save of
/// another kind, since the folder has one manifest and replacing it would leave the other save unloadable.
/// </summary>
internal static class SaveKind
{
    /// <summary>A saved <c>TextClassifier</c> (a Hugging Face <c>BertForSequenceClassification</c> folder).</summary>
    public const string Classifier = "classifier";

    /// <summary>A Hugging Face model folder (<c>config.json</c> + <c>model.safetensors</c>).</summary>
    public const string HuggingFaceModel = "huggingface-model";

    /// <summary>An ONNX serving folder (the ONNX model, the tokenizer, <c>serving.json</c>).</summary>
    public const string OnnxServing = "onnx-serving";

    /// <summary>A Google-style TensorFlow checkpoint with its <c>bert_config.json</c>.</summary>
    public const string TensorFlowCheckpoint = "tensorflow-checkpoint";

    /// <summary>A resumable training checkpoint of the trainer <paramref name="trainer"/> (<c>classification</c>, <c>pretraining</c>).</summary>
    public static string TrainingCheckpoint(string trainer) => trainer + "-checkpoint";

    /// <summary>The kind as the messages say it: "a classifier", "an onnx-serving save".</summary>
    public static string Describe(string? kind) => kind switch
    {
        null => "a save of an earlier Bert.NET version (which did not record its kind)",
        Classifier => "a saved classifier",
        HuggingFaceModel => "a Hugging Face model folder",
        OnnxServing => "an ONNX serving export",
        TensorFlowCheckpoint => "a TensorFlow checkpoint",
        _ when kind.EndsWith("-checkpoint", StringComparison.Ordinal) => $"a {kind[..^"-checkpoint".Length]} training checkpoint",
        _ => $"a {kind} save",
    };
}
