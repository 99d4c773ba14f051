using Bert.Core.Optimization;
using static TorchSharp.torch;

namespace Bert.Core.Training;

/// <summary>
/// The one optimisation step of Bert.NET's trainers (classification fine-tuning and pretraining): forward and loss in a
/// dispose scope, the loss read as float32 (so bf16/fp16 models train), a divergence check, backward (scaled for
/// gradient accumulation), then <see cref="AdamWarmup.Step"/> (gradient clipping, warm-up/decay) and zeroed gradients
/// once enough batches have been summed. Cancellation, progress and checkpoints are decided by the caller between batches.
/// </summary>
internal sealed class TrainingLoop
{
    private readonly AdamWarmup optimizer;
    private readonly int accumulationSteps;
    private int accumulated;

    /// <summary>Starts a sequence of batches (an epoch, or a pretraining run) with zeroed gradients.</summary>
    /// <param name="optimizer">The optimizer, which clips and steps.</param>
    /// <param name="accumulationSteps">Batches whose gradients are summed before one optimizer step.</param>
    public TrainingLoop(AdamWarmup optimizer, int accumulationSteps = 1)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentOutOfRangeException.ThrowIfLessThan(accumulationSteps, 1);
        this.optimizer = optimizer;
        this.accumulationSteps = accumulationSteps;
        optimizer.ZeroGrad();
    }

    /// <summary>
    /// Trains on one batch: <paramref name="forwardLoss"/> runs the model and returns the scalar loss (inside a dispose
    /// scope that frees the batch's tensors); a non-finite loss throws <paramref name="diverged"/>'s exception before any
    /// gradient is applied; the optimizer steps after <c>accumulationSteps</c> batches, or now when
    /// <paramref name="lastOfSequence"/>.
    /// </summary>
    /// <returns>The batch's loss as a float32 value.</returns>
    public double Batch(Func<Tensor> forwardLoss, Func<double, TrainingDivergedException> diverged, bool lastOfSequence = false)
    {
        double value;
        using (NewDisposeScope())
        {
            var loss = forwardLoss();
            value = ReadLoss(loss);
            if (!double.IsFinite(value))
                throw diverged(value);
            (accumulationSteps > 1 ? loss / accumulationSteps : loss).backward();
        }
        if (++accumulated == accumulationSteps || lastOfSequence)
        {
            optimizer.Step();
            optimizer.ZeroGrad();
            accumulated = 0;
        }
        return value;
    }

    /// <summary>A scalar loss read through float32 (<c>item&lt;float&gt;</c> of a bf16 tensor throws).</summary>
    public static float ReadLoss(Tensor loss) => loss.to(ScalarType.Float32).item<float>();
}
