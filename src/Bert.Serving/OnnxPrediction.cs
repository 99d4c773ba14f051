namespace Bert.Serving;

/// <summary>What an <see cref="OnnxTextClassifier"/> predicts for one text (or pair).</summary>
public sealed record OnnxPrediction
{
    /// <summary>The problem type the classifier was trained for.</summary>
    public required OnnxProblemType ProblemType { get; init; }

    /// <summary>
    /// Single-label: the most probable label; null for multi-label (the prediction is <see cref="Labels"/>, possibly
    /// none) and regression, as <c>Bert.Classification.Prediction.Label</c>.
    /// </summary>
    public string? Label { get; init; }

    /// <summary>Single-label: the probability of <see cref="Label"/>; NaN for multi-label and regression.</summary>
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

    /// <summary>
    /// The prediction as text, as <c>Bert.Classification.Prediction.ToString()</c>, <c>bert predict</c> and the ML.NET
    /// transform's <c>PredictedLabel</c> give it: the label; for multi-label the predicted labels joined by '|' (empty
    /// when none reaches the threshold); for regression the value (round-trip).
    /// </summary>
    /// <returns>The text.</returns>
    public override string ToString() => ProblemType switch
    {
        OnnxProblemType.SingleLabel => Label ?? "",
        OnnxProblemType.MultiLabel => string.Join("|", Labels),
        _ => Value is { } v ? v.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : "",
    };
}
