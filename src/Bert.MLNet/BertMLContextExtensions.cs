using Bert.Serving;
using Microsoft.ML;

namespace Bert.MLNet;

/// <summary>The <c>mlContext.Transforms.BertClassify(...)</c> entry points.</summary>
public static class BertMLContextExtensions
{
    /// <summary>
    /// Classifies <paramref name="inputColumnName"/> with the classifier exported to <paramref name="modelFolder"/>
    /// (<c>bert export-onnx</c>), adding <c>PredictedLabel</c> and <c>Score</c>.
    /// </summary>
    /// <param name="catalog"><c>mlContext.Transforms</c>.</param>
    /// <param name="modelFolder">The exported folder (serving.json, the .onnx model, the tokenizer).</param>
    /// <param name="inputColumnName">The text column. Default <c>Text</c>.</param>
    /// <param name="options">ONNX Runtime threads and multi-label threshold; null for the defaults.</param>
    /// <exception cref="InvalidDataException">The folder is not a valid export.</exception>
    public static BertClassifyEstimator BertClassify(this TransformsCatalog catalog, string modelFolder, string inputColumnName = "Text", OnnxTextClassifierOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelFolder);
        return catalog.BertClassify(OnnxTextClassifier.Load(modelFolder, options), inputColumnName);
    }

    /// <summary>Classifies <paramref name="inputColumnName"/> with an already loaded classifier (the transformer takes ownership).</summary>
    /// <param name="catalog"><c>mlContext.Transforms</c>.</param>
    /// <param name="classifier">The classifier.</param>
    /// <param name="inputColumnName">The text column. Default <c>Text</c>.</param>
    public static BertClassifyEstimator BertClassify(this TransformsCatalog catalog, OnnxTextClassifier classifier, string inputColumnName = "Text")
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentException.ThrowIfNullOrEmpty(inputColumnName);
        return new BertClassifyEstimator(catalog, classifier, inputColumnName);
    }
}
