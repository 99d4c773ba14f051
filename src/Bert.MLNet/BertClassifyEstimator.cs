using Bert.Serving;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Bert.MLNet;

/// <summary>
/// Scores a text column with a Bert.NET classifier exported to ONNX (<see cref="OnnxTextClassifier"/>) and adds
/// <c>PredictedLabel</c> (text: the most probable label; for multi-label the labels at or above the threshold joined by
/// '|', empty when none, as <c>TextClassifier</c>'s <c>Prediction.ToString()</c>; empty for regression) and
/// <c>Score</c> (a float vector: the
/// probability of each label in the classifier's order, or the single value of a regression). Nothing is trained:
/// <see cref="Fit"/> only checks the input column. Created by <see cref="BertMLContextExtensions.BertClassify(TransformsCatalog, string, string, OnnxTextClassifierOptions?)"/>.
/// </summary>
public sealed class BertClassifyEstimator : IEstimator<BertClassifyTransformer>
{
    private readonly TransformsCatalog catalog;
    private readonly OnnxTextClassifier classifier;
    private readonly string inputColumn;

    internal BertClassifyEstimator(TransformsCatalog catalog, OnnxTextClassifier classifier, string inputColumn)
    {
        this.catalog = catalog;
        this.classifier = classifier;
        this.inputColumn = inputColumn;
    }

    /// <summary>Checks that the input has the text column and returns the transformer (which owns the classifier).</summary>
    /// <exception cref="ArgumentException">The column is missing or is not text.</exception>
    public BertClassifyTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var column = input.Schema.GetColumnOrNull(inputColumn)
            ?? throw new ArgumentException($"The input has no column '{inputColumn}' (columns: {string.Join(", ", input.Schema.Select(c => c.Name))}).", nameof(input));
        if (column.Type is not TextDataViewType)
            throw new ArgumentException($"Column '{inputColumn}' must be text; it is {column.Type}.", nameof(input));
        return new BertClassifyTransformer(classifier, BertClassifyTransformer.Mapping(catalog, classifier, inputColumn).Fit(input));
    }

    /// <summary>The input schema plus <c>PredictedLabel</c> (text) and <c>Score</c> (float vector of the label count).</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
        BertClassifyTransformer.Mapping(catalog, classifier, inputColumn).GetOutputSchema(inputSchema);
}
