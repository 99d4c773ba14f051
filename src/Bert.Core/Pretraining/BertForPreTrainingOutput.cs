using static TorchSharp.torch;

namespace Bert.Core.Pretraining;

/// <summary>What <see cref="BertForPreTraining"/> returns; disposing it disposes the tensors.</summary>
public sealed class BertForPreTrainingOutput : IDisposable
{
    internal BertForPreTrainingOutput(Tensor predictionLogits, Tensor seqRelationshipLogits)
    {
        PredictionLogits = predictionLogits;
        SeqRelationshipLogits = seqRelationshipLogits;
    }

    /// <summary>
    /// Masked-LM logits: (M, V) for the M requested positions, or (B, T, V) when no positions were given.
    /// </summary>
    public Tensor PredictionLogits { get; }

    /// <summary>Next-sentence logits (B, 2): index 0 = B follows A, 1 = B is random.</summary>
    public Tensor SeqRelationshipLogits { get; }

    /// <inheritdoc/>
    public void Dispose()
    {
        PredictionLogits.Dispose();
        SeqRelationshipLogits.Dispose();
    }
}
