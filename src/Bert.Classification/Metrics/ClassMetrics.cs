namespace Bert.Classification.Metrics;

/// <summary>The scores of one class in a <see cref="ClassificationReport"/> (one row of scikit-learn's report).</summary>
/// <param name="Label">The class label.</param>
/// <param name="Precision">True positives / predicted as this class (0 when nothing was predicted as it).</param>
/// <param name="Recall">True positives / truly this class (0 when the class has no true samples).</param>
/// <param name="F1">Harmonic mean of precision and recall (0 when both are 0).</param>
/// <param name="Support">The number of samples whose true label is this class.</param>
public sealed record ClassMetrics(string Label, double Precision, double Recall, double F1, int Support);
