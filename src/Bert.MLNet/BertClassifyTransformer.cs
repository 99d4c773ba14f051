using Bert.Serving;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Bert.MLNet;

/// <summary>
/// The transformer of <see cref="BertClassifyEstimator"/>: a row-to-row mapping that classifies the text column with
/// ONNX Runtime. Thread-safe like <see cref="OnnxTextClassifier"/>; dispose it to release the ONNX Runtime session.
/// After <see cref="Dispose"/>, <see cref="Transform"/>, <see cref="GetOutputSchema"/> and
/// <see cref="GetRowToRowMapper"/> throw <see cref="ObjectDisposedException"/> (a data view made before disposing reads
/// its rows lazily, so finish reading it first).
/// </summary>
/// <remarks>
/// It cannot be written with <c>MLContext.Model.Save</c>: the model is the exported folder; re-create the transform from
/// it with <c>BertClassify</c> when loading a pipeline.
/// </remarks>
public sealed class BertClassifyTransformer : ITransformer, IDisposable
{
    /// <summary>The label column the transform adds.</summary>
    public const string PredictedLabelColumn = "PredictedLabel";

    /// <summary>The score column the transform adds.</summary>
    public const string ScoreColumn = "Score";

    private readonly OnnxTextClassifier classifier;
    private readonly ITransformer mapping;
    private volatile bool disposed;

    internal BertClassifyTransformer(OnnxTextClassifier classifier, ITransformer mapping)
    {
        this.classifier = classifier;
        this.mapping = mapping;
    }

    /// <summary>The classifier that scores the rows.</summary>
    public OnnxTextClassifier Classifier => classifier;

    /// <inheritdoc />
    public bool IsRowToRowMapper => mapping.IsRowToRowMapper;

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The transformer was disposed.</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return mapping.GetOutputSchema(inputSchema);
    }

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The transformer was disposed.</exception>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return mapping.GetRowToRowMapper(inputSchema);
    }

    /// <summary>Adds <c>PredictedLabel</c> and <c>Score</c> to <paramref name="input"/> (lazily, as ML.NET transforms do).</summary>
    /// <exception cref="ObjectDisposedException">The transformer was disposed.</exception>
    public IDataView Transform(IDataView input)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return mapping.Transform(input);
    }

    /// <summary>Not supported: the exported folder is the model (see the remarks).</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    void ICanSaveModel.Save(ModelSaveContext ctx) =>
        throw new NotSupportedException("BertClassify is not saved into ML.NET model files: keep the exported folder and add BertClassify(folder) again when loading the pipeline.");

    /// <summary>Releases the ONNX Runtime session (the classifier's). Calling it again does nothing.</summary>
    public void Dispose()
    {
        disposed = true;
        classifier.Dispose();
    }

    internal static IEstimator<ITransformer> Mapping(TransformsCatalog catalog, OnnxTextClassifier classifier, string inputColumn)
    {
        var output = SchemaDefinition.Create(typeof(BertClassifyOutput));
        output[nameof(BertClassifyOutput.Score)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, classifier.Labels.Count);
        var input = SchemaDefinition.Create(typeof(BertClassifyInput));
        input[nameof(BertClassifyInput.Text)].ColumnName = inputColumn;
        return catalog.CustomMapping<BertClassifyInput, BertClassifyOutput>((row, result) =>
        {
            var prediction = classifier.Predict(row.Text ?? "");
            // Single-label: the label; multi-label: the labels at or above the threshold joined by '|', empty when none
            // (as TextClassifier's Prediction.ToString() and 'bert predict'); regression: empty (the value is Score).
            result.PredictedLabel = prediction.ProblemType == OnnxProblemType.Regression ? "" : prediction.ToString();
            result.Score = prediction.Value is { } value ? [value] : [.. prediction.Probabilities.Select(p => p.Value)];
        }, contractName: null, input, output);
    }
}
