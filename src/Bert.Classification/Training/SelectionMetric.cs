namespace Bert.Classification.Training;

/// <summary>The validation metric that picks the best epoch (higher is better, except loss).</summary>
public enum SelectionMetric
{
    /// <summary>Validation accuracy (the reference run's choice).</summary>
    Accuracy,

    /// <summary>Validation macro-averaged F1.</summary>
    MacroF1,

    /// <summary>Validation weighted-averaged F1.</summary>
    WeightedF1,

    /// <summary>Validation loss (lower is better).</summary>
    Loss,
}
