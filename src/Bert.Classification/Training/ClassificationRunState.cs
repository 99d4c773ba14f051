namespace Bert.Classification.Training;

/// <summary>
/// The classification trainer's part of a training checkpoint's <c>trainer.json</c> (the <c>Run</c> of
/// <see cref="Bert.Core.Training.TrainerState{TRun}"/>): epochs done, the best epoch so far and its score, the early-stopping
/// count, the sequence length, the labels, the run's fingerprint and the epoch history.
/// </summary>
internal sealed class ClassificationRunState
{
    public int Epoch { get; set; }
    public int BestEpoch { get; set; }
    public double BestScore { get; set; }
    public int EpochsWithoutImprovement { get; set; }
    public int MaxSequenceLength { get; set; }
    public string[] Labels { get; set; } = Array.Empty<string>();
    public string Fingerprint { get; set; } = "";
    public List<EpochResult> History { get; set; } = new();
}
