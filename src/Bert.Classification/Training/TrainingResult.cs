namespace Bert.Classification.Training;

/// <summary>The outcome of <see cref="ClassificationTrainer.Train"/>; the model holds the best epoch's weights.</summary>
/// <param name="History">One entry per completed epoch.</param>
/// <param name="BestEpoch">The epoch whose weights were restored (from 1).</param>
/// <param name="MaxSequenceLength">The sequence length limit used (measured or given).</param>
/// <param name="StoppedEarly">True when early stopping ended training before the last epoch.</param>
/// <param name="ResumedFromEpoch">The epoch a checkpoint resumed from, or 0 for a fresh run.</param>
/// <param name="TotalSteps">Optimizer steps of the whole schedule (the decay steps of AdamWarmup).</param>
/// <param name="WarmupSteps">Optimizer steps of linear warmup.</param>
public sealed record TrainingResult(
    IReadOnlyList<EpochResult> History, int BestEpoch, int MaxSequenceLength, bool StoppedEarly, int ResumedFromEpoch,
    int TotalSteps, int WarmupSteps)
{
    /// <summary>Findings of the data checks that did not stop training, e.g. labels without training examples.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The best epoch's measurements.</summary>
    public EpochResult Best => History.First(e => e.Epoch == BestEpoch);
}
