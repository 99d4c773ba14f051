namespace Bert.Core.Training;

/// <summary>
/// Thrown by the classification trainer and the pretrainer when the training loss becomes NaN or infinite; the last
/// complete checkpoint is left as it was.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception for the given epoch, batch and optimizer step (fine-tuning).</summary>
    /// <param name="epoch">The epoch (from 1).</param>
    /// <param name="batch">The batch within the epoch (from 1).</param>
    /// <param name="step">Optimizer steps completed before the failing batch.</param>
    /// <param name="loss">The non-finite loss value.</param>
    public TrainingDivergedException(int epoch, int batch, long step, double loss)
        : base($"The training loss became {loss} at epoch {epoch}, batch {batch} (optimizer step {step}). {Advice}")
    {
        Epoch = epoch;
        Batch = batch;
        Step = step;
        Loss = loss;
    }

    /// <summary>Creates the exception for a run without epochs (pretraining), at the given optimizer step.</summary>
    /// <param name="step">Optimizer steps completed before the failing batch.</param>
    /// <param name="loss">The non-finite loss value.</param>
    public TrainingDivergedException(long step, double loss)
        : base($"The training loss became {loss} at the batch after optimizer step {step}. {Advice}")
    {
        Step = step;
        Loss = loss;
    }

    private const string Advice = "Lower the learning rate, enable gradient clipping (MaxGradNorm) or check the inputs; " +
                                  "the last complete checkpoint, if any, is intact.";

    /// <summary>The epoch (from 1); null for a run without epochs (pretraining).</summary>
    public int? Epoch { get; }

    /// <summary>The batch within the epoch (from 1); null for a run without epochs (pretraining).</summary>
    public int? Batch { get; }

    /// <summary>Optimizer steps completed before the failing batch.</summary>
    public long Step { get; }

    /// <summary>The non-finite loss value.</summary>
    public double Loss { get; }
}
