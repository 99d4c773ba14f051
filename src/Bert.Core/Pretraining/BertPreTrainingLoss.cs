using static TorchSharp.torch;

namespace Bert.Core.Pretraining;

/// <summary>
/// The pretraining loss of one batch (<see cref="BertForPreTraining.ComputeLoss(PretrainingBatch)"/>): masked-LM cross-entropy over the
/// predicted positions plus next-sentence cross-entropy, as Hugging Face's <c>BertForPreTraining</c> sums them, with the
/// counts that give the accuracies. Disposing it disposes the loss tensors.
/// </summary>
public sealed class BertPreTrainingLoss : IDisposable
{
    internal BertPreTrainingLoss(Tensor total, double maskedLm, double nextSentence, long maskedLmCorrect, long maskedLmCount,
        long nextSentenceCorrect, long nextSentenceCount)
    {
        Total = total;
        MaskedLm = maskedLm;
        NextSentence = nextSentence;
        MaskedLmCorrect = maskedLmCorrect;
        MaskedLmCount = maskedLmCount;
        NextSentenceCorrect = nextSentenceCorrect;
        NextSentenceCount = nextSentenceCount;
    }

    /// <summary>The scalar to back-propagate: masked-LM loss + next-sentence loss.</summary>
    public Tensor Total { get; }

    /// <summary>Mean masked-LM cross-entropy over the predicted positions (0 when there are none).</summary>
    public double MaskedLm { get; }

    /// <summary>Mean next-sentence cross-entropy over the batch.</summary>
    public double NextSentence { get; }

    /// <summary>Predicted positions whose arg-max is the original piece.</summary>
    public long MaskedLmCorrect { get; }

    /// <summary>The number of predicted positions.</summary>
    public long MaskedLmCount { get; }

    /// <summary>Sequences whose next-sentence arg-max is right.</summary>
    public long NextSentenceCorrect { get; }

    /// <summary>The number of sequences.</summary>
    public long NextSentenceCount { get; }

    /// <summary><see cref="MaskedLmCorrect"/> / <see cref="MaskedLmCount"/> (0 when there are none).</summary>
    public double MaskedLmAccuracy => MaskedLmCount == 0 ? 0 : (double)MaskedLmCorrect / MaskedLmCount;

    /// <summary><see cref="NextSentenceCorrect"/> / <see cref="NextSentenceCount"/>.</summary>
    public double NextSentenceAccuracy => NextSentenceCount == 0 ? 0 : (double)NextSentenceCorrect / NextSentenceCount;

    /// <inheritdoc/>
    public void Dispose() => Total.Dispose();
}
