namespace Bert.Core.Pretraining;

/// <summary>A progress report of <see cref="Pretrainer"/>: means over the steps since the previous report.</summary>
/// <param name="Step">The optimizer steps done.</param>
/// <param name="TotalSteps">The steps the run goes to.</param>
/// <param name="MaskedLmLoss">Mean masked-LM cross-entropy.</param>
/// <param name="MaskedLmAccuracy">Share of predicted positions whose arg-max is the original piece.</param>
/// <param name="NextSentenceLoss">Mean next-sentence cross-entropy.</param>
/// <param name="NextSentenceAccuracy">Share of right next-sentence predictions.</param>
/// <param name="LearningRate">The learning rate of the last step.</param>
/// <param name="SequencesPerSecond">Training throughput over the window.</param>
/// <param name="Elapsed">Training time of this run so far (not counting a resumed run's earlier time).</param>
public sealed record PretrainingProgress(
    long Step,
    long TotalSteps,
    double MaskedLmLoss,
    double MaskedLmAccuracy,
    double NextSentenceLoss,
    double NextSentenceAccuracy,
    double LearningRate,
    double SequencesPerSecond,
    TimeSpan Elapsed)
{
    /// <summary>
    /// The first step these means cover: the step after the previous report, or after the checkpoint a resumed run
    /// started from (a log can drop what a killed run reported from there on, since the resumed run does those steps again).
    /// </summary>
    public long FirstStep { get; init; } = 1;
}
