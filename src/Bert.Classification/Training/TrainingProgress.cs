namespace Bert.Classification.Training;

/// <summary>Reported by <see cref="ClassificationTrainer.Train"/> after every batch and at the end of every epoch.</summary>
/// <param name="Epoch">The epoch, counted from 1.</param>
/// <param name="Epochs">Epochs in all.</param>
/// <param name="Batch">Batches done in this epoch.</param>
/// <param name="Batches">Batches per epoch.</param>
/// <param name="Step">Optimizer steps done since the start of training.</param>
/// <param name="Loss">Mean training loss of the epoch so far.</param>
/// <param name="LearningRate">The scheduled learning rate of the last step.</param>
/// <param name="EpochResult">Set on the report that ends an epoch (after validation); null for batch reports.</param>
public sealed record TrainingProgress(
    int Epoch, int Epochs, int Batch, int Batches, long Step, double Loss, double LearningRate, EpochResult? EpochResult);
