using Bert.Classification.Data;
using Bert.Classification.Metrics;

namespace Bert.Classification.Training;

/// <summary>
/// Predictions on a labelled set, their mean loss and the report of the problem type: exactly one of
/// <see cref="Report"/> (single-label), <see cref="MultiLabelReport"/> and <see cref="RegressionReport"/> is set.
/// </summary>
/// <param name="ProblemType">The model's problem type.</param>
/// <param name="Loss">Mean loss over the examples.</param>
/// <param name="Predictions">The prediction of every example, in input order.</param>
/// <param name="Report">Single-label: per-class precision, recall and F1 with averages; else null.</param>
/// <param name="MultiLabelReport">Multi-label: the indicator-matrix report, subset accuracy and Hamming loss; else null.</param>
/// <param name="RegressionReport">Regression: MSE, MAE, R², Pearson and Spearman; else null.</param>
public sealed record EvaluationResult(
    ProblemType ProblemType, double Loss, IReadOnlyList<Prediction> Predictions,
    ClassificationReport? Report, MultiLabelReport? MultiLabelReport, RegressionReport? RegressionReport)
{
    /// <summary>The report as text (scikit-learn's layout for classification; <c>name: value</c> lines for regression).</summary>
    public string ReportText => Report?.ToString() ?? MultiLabelReport?.ToString() ?? RegressionReport!.ToString();

    /// <summary>Scores <paramref name="predictions"/> of <paramref name="examples"/> with the report of the problem type.</summary>
    internal static EvaluationResult Create(ProblemType problemType, double loss, IReadOnlyList<TextExample> examples, IReadOnlyList<Prediction> predictions, IReadOnlyList<string> labels) =>
        problemType switch
        {
            ProblemType.SingleLabel => new(problemType, loss, predictions,
                ClassificationReport.Create(examples.Select(e => e.Label!).ToArray(), predictions.Select(p => p.Label!).ToArray(), labels.Count >= 2 ? labels : null), null, null),
            ProblemType.MultiLabel => new(problemType, loss, predictions, null,
                MultiLabelReport.Create(examples.Select(e => (IReadOnlyCollection<string>)e.Labels!).ToArray(), predictions.Select(p => (IReadOnlyCollection<string>)p.Labels).ToArray(), labels), null),
            _ => new(problemType, loss, predictions, null, null,
                RegressionReport.Create(examples.Select(e => e.Value!.Value).ToArray(), predictions.Select(p => p.Value!.Value).ToArray())),
        };

    /// <summary>Accuracy, macro F1 and weighted F1 for epoch histories (NaN for regression).</summary>
    internal (double Accuracy, double MacroF1, double WeightedF1) Summary() =>
        Report is { } r ? (r.Accuracy, r.MacroAvg.F1, r.WeightedAvg.F1)
        : MultiLabelReport is { } m ? (m.SubsetAccuracy, m.MacroAvg.F1, m.WeightedAvg.F1)
        : (double.NaN, double.NaN, double.NaN);
}
