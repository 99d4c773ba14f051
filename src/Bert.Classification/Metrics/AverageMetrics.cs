namespace Bert.Classification.Metrics;

/// <summary>An averaged row of a <see cref="ClassificationReport"/>: micro, macro or weighted average.</summary>
/// <param name="Precision">The averaged precision.</param>
/// <param name="Recall">The averaged recall.</param>
/// <param name="F1">The averaged F1 (for macro and weighted: the average of per-class F1, as scikit-learn).</param>
/// <param name="Support">The summed support of the report's classes.</param>
public sealed record AverageMetrics(double Precision, double Recall, double F1, int Support);
