namespace Bert.Classification.Metrics;

/// <summary>A single-number summary of a classification, for confidence intervals.</summary>
public enum ReportMetric
{
    /// <summary>Fraction of samples whose prediction equals the true label.</summary>
    Accuracy,

    /// <summary>Unweighted mean of per-class F1 over the report's labels.</summary>
    MacroF1,

    /// <summary>Per-class F1 averaged with weights equal to the true-class supports (the reference run's metric).</summary>
    WeightedF1,
}
