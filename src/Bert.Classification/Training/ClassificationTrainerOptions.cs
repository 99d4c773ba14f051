namespace Bert.Classification.Training;

/// <summary>
/// Options of <see cref="ClassificationTrainer"/>. The defaults are the reference run's (keras-bert on KNBC:
/// batch 16, learning rate 1e-4, 10 epochs, 10% linear warmup then linear decay, best epoch by validation accuracy),
/// plus dynamic padding (faster, the same result as padding every batch to the longest text), length bucketing
/// (faster; texts of similar length share a batch, so the batches and the result differ from a plain shuffle, as
/// repeatably), and gradient clipping at norm 1.0 (Google's BERT fine-tuning value; keras-bert does not clip).
/// </summary>
public sealed class ClassificationTrainerOptions
{
    /// <summary>Passes over the training data. Default 10.</summary>
    public int Epochs { get; set; } = 10;

    /// <summary>Examples per optimizer step (before gradient accumulation). Default 16.</summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>Batch size for evaluation, at most (no gradients, so larger is fine; fewer when the batches run side by side: see <see cref="Bert.Core.TorchRuntime.ParallelInferenceBatches"/>). Default 64.</summary>
    public int EvaluationBatchSize { get; set; } = 64;

    /// <summary>Peak learning rate of AdamWarmup. Default 1e-4.</summary>
    public double LearningRate { get; set; } = 1e-4;

    /// <summary>Share of the total steps spent warming up linearly. Default 0.1.</summary>
    public double WarmupProportion { get; set; } = 0.1;

    /// <summary>Decoupled weight decay; bias and LayerNorm parameters never decay. Default 0 (the reference run used none).</summary>
    public double WeightDecay { get; set; }

    /// <summary>Global gradient-norm clipping; null turns it off. Default 1.0 (Google's BERT fine-tuning value).</summary>
    public double? MaxGradNorm { get; set; } = 1.0;

    /// <summary>
    /// Longest input in pieces including [CLS] and [SEP]; longer texts are truncated. Null (default) measures the
    /// training data and takes its longest, capped by the model's position table.
    /// </summary>
    public int? MaxSequenceLength { get; set; }

    /// <summary>Pad each batch to its own longest text instead of <see cref="MaxSequenceLength"/>. Default true.</summary>
    public bool DynamicPadding { get; set; } = true;

    /// <summary>
    /// With <see cref="DynamicPadding"/>, round each batch's length up to a multiple of this (never beyond
    /// <see cref="MaxSequenceLength"/>): few distinct shapes keep memory flat over long runs (see
    /// <see cref="Bert.Core.Modeling.BertBatch.PaddedLength"/>). Default 8; 1 pads to the longest text exactly.
    /// </summary>
    public int PadToMultipleOf { get; set; } = 8;

    /// <summary>Group texts of similar length into batches (within shuffled windows). Default true.</summary>
    public bool LengthBucketing { get; set; } = true;

    /// <summary>
    /// Seed of shuffling and dropout: same seed, same data, same machine, same result. Default 42. The head's initial
    /// weights are seeded by <see cref="ClassificationHeadOptions.Seed"/> (also 42 by default), a random encoder's by
    /// <c>BertModelBuilder.WithSeed</c>.
    /// </summary>
    public int Seed { get; set; } = 42;

    /// <summary>Optional loss weight per label name (labels not listed weigh 1); each positive and finite.</summary>
    public IReadOnlyDictionary<string, double>? ClassWeights { get; set; }

    /// <summary>Batches whose gradients are summed before one optimizer step. Default 1.</summary>
    public int GradientAccumulationSteps { get; set; } = 1;

    /// <summary>Parameter-name prefixes that stay frozen (for example <c>bert.embeddings.</c>, <c>bert.encoder.layer.0.</c>).</summary>
    public IReadOnlyList<string> FreezePrefixes { get; set; } = Array.Empty<string>();

    /// <summary>
    /// The validation metric that picks the best epoch, whose weights are restored at the end. Default null: accuracy for
    /// single-label models; the loss for multi-label models (their accuracy is subset accuracy, which often stays 0 while
    /// the model improves) and for regression, which accepts only the loss.
    /// </summary>
    public SelectionMetric? SelectBestBy { get; set; }

    /// <summary>
    /// The device of the model and of every batch, target and class-weight tensor; null for the CPU. The best
    /// epoch's weights are kept on the CPU. Only the CPU is tested here: CUDA is untested.
    /// </summary>
    public TorchSharp.torch.Device? Device { get; set; }

    /// <summary>Stop after this many epochs without improvement of <see cref="SelectBestBy"/>; null never stops early.</summary>
    public int? EarlyStoppingPatience { get; set; }

    /// <summary>
    /// Folder for the training checkpoint written (atomically) after every epoch; null writes none. When it holds a
    /// checkpoint of the same run, <see cref="ClassificationTrainer.Train"/> resumes from it.
    /// </summary>
    public string? CheckpointDirectory { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first property out of range.</summary>
    public void Validate()
    {
        static void Positive(int value, string name)
        {
            if (value < 1) throw new ArgumentException($"{name} must be at least 1; it is {value}.", name);
        }

        Positive(Epochs, nameof(Epochs));
        Positive(BatchSize, nameof(BatchSize));
        Positive(EvaluationBatchSize, nameof(EvaluationBatchSize));
        Positive(GradientAccumulationSteps, nameof(GradientAccumulationSteps));
        Positive(PadToMultipleOf, nameof(PadToMultipleOf));
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
            throw new ArgumentException($"{nameof(LearningRate)} must be a positive number; it is {LearningRate}.", nameof(LearningRate));
        if (!(WarmupProportion >= 0 && WarmupProportion <= 1))
            throw new ArgumentException($"{nameof(WarmupProportion)} must be in [0, 1]; it is {WarmupProportion}.", nameof(WarmupProportion));
        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay))
            throw new ArgumentException($"{nameof(WeightDecay)} must be zero or positive; it is {WeightDecay}.", nameof(WeightDecay));
        if (MaxGradNorm is { } norm && !(norm > 0))
            throw new ArgumentException($"{nameof(MaxGradNorm)} must be positive or null; it is {norm}.", nameof(MaxGradNorm));
        if (MaxSequenceLength is { } len && len < 2)
            throw new ArgumentException($"{nameof(MaxSequenceLength)} must be at least 2 ([CLS] and [SEP]); it is {len}.", nameof(MaxSequenceLength));
        if (EarlyStoppingPatience is { } patience && patience < 1)
            throw new ArgumentException($"{nameof(EarlyStoppingPatience)} must be at least 1 or null; it is {patience}.", nameof(EarlyStoppingPatience));
        if (ClassWeights?.FirstOrDefault(kv => !(kv.Value > 0) || double.IsInfinity(kv.Value)) is { Key: not null } bad)
            throw new ArgumentException(
                $"{nameof(ClassWeights)} gives '{bad.Key}' the weight {bad.Value}; weights must be positive and finite " +
                "(a batch of zero-weight examples only would have no loss: to ignore a class, leave its examples out).", nameof(ClassWeights));
        if (SelectBestBy is { } metric && !Enum.IsDefined(metric))
            throw new ArgumentException($"{nameof(SelectBestBy)} has the unknown value {(int)metric}.", nameof(SelectBestBy));
    }
}
