namespace Bert.Core.Pretraining;

/// <summary>
/// The pretrainer's part of a training checkpoint's <c>trainer.json</c> (the <c>Run</c> of
/// <see cref="Training.TrainerState{TRun}"/>): the batch size and the batch generator's state.
/// </summary>
internal sealed class PretrainingRunState
{
    public int BatchSize { get; set; }
    public PretrainingBatchGeneratorState? Generator { get; set; }
}
