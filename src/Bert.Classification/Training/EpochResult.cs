namespace Bert.Classification.Training;

/// <summary>What one epoch of training measured.</summary>
/// <param name="Epoch">The epoch, counted from 1.</param>
/// <param name="TrainLoss">Mean training loss over the epoch's batches.</param>
/// <param name="ValidationLoss">Mean loss on the validation set.</param>
/// <param name="Accuracy">Validation accuracy (multi-label: subset accuracy; regression: NaN).</param>
/// <param name="MacroF1">Validation macro-averaged F1 (regression: NaN).</param>
/// <param name="WeightedF1">Validation weighted-averaged F1 (regression: NaN).</param>
/// <param name="LearningRate">The scheduled learning rate at the end of the epoch.</param>
/// <param name="Seconds">Wall-clock time of the epoch, validation included.</param>
public sealed record EpochResult(
    int Epoch, double TrainLoss, double ValidationLoss, double Accuracy, double MacroF1, double WeightedF1,
    double LearningRate, double Seconds)
{
    /// <summary>The value of <paramref name="metric"/>, signed so that higher is better.</summary>
    public double Score(SelectionMetric metric) => metric switch
    {
        SelectionMetric.Accuracy => Accuracy,
        SelectionMetric.MacroF1 => MacroF1,
        SelectionMetric.WeightedF1 => WeightedF1,
        _ => -ValidationLoss,
    };
}
