using Bert.Core.Modeling;

namespace Bert.Classification;

/// <summary>Options of the head that <see cref="BertForSequenceClassification"/> puts on BERT.</summary>
public sealed class ClassificationHeadOptions
{
    /// <summary>How one vector per text is taken from BERT. Default: <see cref="PoolingStrategy.Pooler"/>.</summary>
    public PoolingStrategy Pooling { get; set; } = PoolingStrategy.Pooler;

    /// <summary>With <see cref="PoolingStrategy.ConcatLastLayers"/>: how many last layers are concatenated. Default 4.</summary>
    public int ConcatLayers { get; set; } = 4;

    /// <summary>Dropout before the linear layer; null uses the config's <c>hidden_dropout_prob</c>. Default null.</summary>
    public double? Dropout { get; set; }

    /// <summary>Single-label, multi-label or regression. Default <see cref="Classification.ProblemType.SingleLabel"/>.</summary>
    public ProblemType ProblemType { get; set; } = ProblemType.SingleLabel;

    /// <summary>
    /// Multi-label: a label is predicted when its sigmoid probability is at least this. Default 0.5. Saved with the
    /// classifier; ignored by the other problem types.
    /// </summary>
    public double Threshold { get; set; } = 0.5;

    /// <summary>
    /// Seeds the head's initial weights (normal(0, <c>initializer_range</c>)) from a private generator, so the same seed
    /// gives the same head and libtorch's global generator is not advanced; null draws them from libtorch's global
    /// generator (<c>torch.manual_seed</c>). Default 42, as <c>ClassificationTrainerOptions.Seed</c>: with both, a
    /// fine-tuning run from a checkpoint repeats on the same machine without any other call.
    /// </summary>
    public long? Seed { get; set; } = 42;

    /// <summary>Throws <see cref="ArgumentException"/> naming the property that is out of range.</summary>
    /// <param name="numLayers">The BERT's number of layers, to check <see cref="ConcatLayers"/>.</param>
    public void Validate(int numLayers)
    {
        if (!Enum.IsDefined(Pooling))
            throw new ArgumentException($"{nameof(Pooling)} has the unknown value {(int)Pooling}.", nameof(Pooling));
        if (!Enum.IsDefined(ProblemType))
            throw new ArgumentException($"{nameof(ProblemType)} has the unknown value {(int)ProblemType}.", nameof(ProblemType));
        if (Pooling == PoolingStrategy.ConcatLastLayers && (ConcatLayers < 1 || ConcatLayers > numLayers))
            throw new ArgumentException($"{nameof(ConcatLayers)} must be between 1 and the model's {numLayers} layers; it is {ConcatLayers}.", nameof(ConcatLayers));
        if (!(Threshold > 0 && Threshold < 1))
            throw new ArgumentException($"{nameof(Threshold)} must be in (0, 1); it is {Threshold}.", nameof(Threshold));
        if (Dropout is { } p && (p < 0 || p >= 1 || double.IsNaN(p)))
            throw new ArgumentException($"{nameof(Dropout)} must be in [0, 1); it is {p}.", nameof(Dropout));
    }
}
