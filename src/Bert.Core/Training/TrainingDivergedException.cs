namespace Bert.Classification.Training;

/// <summary>Thrown when the training loss becomes NaN or infinite; the last complete checkpoint is left as it was.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception for the given epoch, batch and optimizer step.</summary>
    public TrainingDivergedException(int epoch, int batch, long step, double loss)
        : base($"The training loss became {loss} at epoch {epoch}, batch {batch} (optimizer step {step}). " +
               "Lower the learning rate, enable gradient clipping (MaxGradNorm) or check the inputs; " +
               "the last complete checkpoint, if any, is intact.")
    {
        Epoch = epoch;
        Batch = batch;
        Step = step;
        Loss = loss;
    }

    /// <summary>The epoch (from 1).</summary>
    public int Epoch { get; }

    /// <summary>The batch within the epoch (from 1).</summary>
    public int Batch { get; }

    /// <summary>Optimizer steps completed before the failing batch.</summary>
    public long Step { get; }

    /// <summary>The non-finite loss value.</summary>
    public double Loss { get; }
}
