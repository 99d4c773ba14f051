namespace Bert.Serving;

/// <summary>What an <see cref="OnnxTextClassifier"/> predicts for one text (or pair).</summary>
public sealed record OnnxPrediction
{
    /// <summary>The problem type the classifier was trained for.</summary>
    public required OnnxProblemType ProblemType { get; init; }

    /// <summary>
    /// The most probable label (single-label and multi-label); null for regression. For multi-label it is predicted only
    /// if it is also in <see cref="Labels"/>.
    /// </summary>
    public string? Label { get; init; }

    /// <summary>The probability of <see cref="Label"/>; NaN for regression.</summary>
    public float Probability { get; init; } = float.NaN;

    /// <summary>
    /// The predicted labels: single-label, just <see cref="Label"/>; multi-label, every label whose probability reaches the
    /// threshold, in the classifier's label order (possibly none); regression, none.
    /// </summary>
    public IReadOnlyList<string> Labels { get; init; } = [];

    /// <summary>Every label's probability (softmax or sigmoid), in the classifier's label order; empty for regression.</summary>
    public IReadOnlyList<KeyValuePair<string, float>> Probabilities { get; init; } = [];

    /// <summary>The predicted value of a regression; null otherwise.</summary>
    public float? Value { get; init; }

    /// <summary>The raw model outputs, one per label (one for regression).</summary>
    public required IReadOnlyList<float> Logits { get; init; }
}
