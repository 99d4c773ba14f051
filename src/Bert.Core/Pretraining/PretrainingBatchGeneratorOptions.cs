using System.Globalization;

namespace Bert.Core.Pretraining;

/// <summary>
/// Settings of <see cref="PretrainingBatchGenerator"/>; the defaults are those of Google's
/// <c>create_pretraining_data.py</c> (15% of the pieces predicted, of those 80% <c>[MASK]</c>, 10% random, 10% kept;
/// 50% random next sentences; 10% shorter sequences).
/// </summary>
public sealed class PretrainingBatchGeneratorOptions
{
    /// <summary>The longest sequence, <c>[CLS]</c> and both <c>[SEP]</c> included. Default 128; at least 5.</summary>
    public int MaxSequenceLength { get; set; } = 128;

    /// <summary>The share of pieces chosen for prediction (never <c>[CLS]</c>/<c>[SEP]</c>/<c>[PAD]</c>). Default 0.15.</summary>
    public double MaskedLmProbability { get; set; } = 0.15;

    /// <summary>The most pieces predicted in one sequence. Default 20 (Google's value for 128 tokens).</summary>
    public int MaxPredictionsPerSequence { get; set; } = 20;

    /// <summary>Of the chosen pieces, the share replaced by <c>[MASK]</c>. Default 0.8.</summary>
    public double MaskTokenProbability { get; set; } = 0.8;

    /// <summary>Of the chosen pieces, the share replaced by a random normal piece. Default 0.1 (the rest is kept).</summary>
    public double RandomTokenProbability { get; set; } = 0.1;

    /// <summary>The share of pairs whose second segment comes from another document. Default 0.5.</summary>
    public double RandomNextProbability { get; set; } = 0.5;

    /// <summary>
    /// The share of sequences whose target length is drawn in [2, max] instead of the maximum, so that the model also
    /// sees short inputs (Google's <c>short_seq_prob</c>). Default 0.1.
    /// </summary>
    public double ShortSequenceProbability { get; set; } = 0.1;

    /// <summary>The seed of the generator; the same seed, corpus and options give the same batches. Default 12345.</summary>
    public long Seed { get; set; } = 12345;

    /// <summary>Throws when a setting is out of range.</summary>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    public void Validate()
    {
        if (MaxSequenceLength < 5)
            throw new ArgumentException($"MaxSequenceLength must be at least 5 ([CLS] a [SEP] b [SEP]), not {MaxSequenceLength}.", nameof(MaxSequenceLength));
        Probability(MaskedLmProbability, nameof(MaskedLmProbability));
        if (MaskedLmProbability == 0)
            throw new ArgumentException("MaskedLmProbability must be above 0: every sequence needs a piece to predict.", nameof(MaskedLmProbability));
        if (MaxPredictionsPerSequence < 1)
            throw new ArgumentException($"MaxPredictionsPerSequence must be at least 1, not {MaxPredictionsPerSequence}.", nameof(MaxPredictionsPerSequence));
        Probability(MaskTokenProbability, nameof(MaskTokenProbability));
        Probability(RandomTokenProbability, nameof(RandomTokenProbability));
        if (MaskTokenProbability + RandomTokenProbability > 1 + 1e-12)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"MaskTokenProbability ({MaskTokenProbability}) + RandomTokenProbability ({RandomTokenProbability}) must not exceed 1."), nameof(RandomTokenProbability));
        Probability(RandomNextProbability, nameof(RandomNextProbability));
        Probability(ShortSequenceProbability, nameof(ShortSequenceProbability));
    }

    internal PretrainingBatchGeneratorOptions Clone() => (PretrainingBatchGeneratorOptions)MemberwiseClone();

    private static void Probability(double value, string name)
    {
        if (double.IsNaN(value) || value < 0 || value > 1)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{name} must be in [0, 1], not {value}."), name);
    }
}
