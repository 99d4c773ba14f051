namespace Bert.Classification;

/// <summary>
/// What a <see cref="TextClassifier"/> predicts for one text (or pair), typed by the model's problem type:
/// <list type="bullet">
/// <item>single-label: <see cref="Label"/>, its <see cref="Probability"/> and every label's softmax probability;</item>
/// <item>multi-label: <see cref="Labels"/>, the labels whose sigmoid probability reaches the decision threshold
/// (in the model's label order; possibly none), and every label's probability;</item>
/// <item>regression: <see cref="Value"/>; no labels or probabilities.</item>
/// </list>
/// </summary>
public sealed class Prediction
{
    private Prediction(ProblemType problemType, string? label, IReadOnlyList<string> labels, double? value, IReadOnlyList<KeyValuePair<string, float>> probabilities)
    {
        ProblemType = problemType;
        Label = label;
        Labels = labels;
        Value = value;
        Probabilities = probabilities;
    }

    /// <summary>Which of the members below carry the prediction.</summary>
    public ProblemType ProblemType { get; }

    /// <summary>Single-label: the most probable label; null otherwise.</summary>
    public string? Label { get; }

    /// <summary>Multi-label: the labels at or above the threshold, in the model's label order; single-label: the one label; regression: empty.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Regression: the predicted value; null otherwise.</summary>
    public double? Value { get; }

    /// <summary>Single-label: the probability of <see cref="Label"/>; null otherwise.</summary>
    public float? Probability => ProblemType == ProblemType.SingleLabel ? Probabilities.First(p => p.Key == Label).Value : null;

    /// <summary>Every label's probability (softmax for single-label, independent sigmoids for multi-label), in the model's label order; empty for regression.</summary>
    public IReadOnlyList<KeyValuePair<string, float>> Probabilities { get; }

    /// <summary>Turns one row of model outputs (probabilities, or the value) into a prediction.</summary>
    internal static Prediction FromOutputs(ReadOnlySpan<float> outputs, IReadOnlyList<string> labels, ProblemType problemType, double threshold)
    {
        if (problemType == ProblemType.Regression)
            return new Prediction(problemType, null, [], outputs[0], []);
        var probabilities = new KeyValuePair<string, float>[labels.Count];
        for (int k = 0; k < labels.Count; k++)
            probabilities[k] = new(labels[k], outputs[k]);
        if (problemType == ProblemType.MultiLabel)
            return new Prediction(problemType, null, labels.Where((_, k) => probabilities[k].Value >= threshold).ToArray(), null, probabilities);
        int best = 0;
        for (int k = 1; k < labels.Count; k++)
            if (outputs[k] > outputs[best]) best = k;
        return new Prediction(problemType, labels[best], [labels[best]], null, probabilities);
    }

    /// <summary>The prediction as text: the label, the labels joined by '|', or the value (round-trip).</summary>
    /// <returns>The text.</returns>
    public override string ToString() => ProblemType switch
    {
        ProblemType.SingleLabel => Label!,
        ProblemType.MultiLabel => string.Join("|", Labels),
        // The model computes in float32: the value's shortest float text (as the ONNX classifier prints it), not the widened double's.
        _ => ((float)Value!.Value).ToString("R", System.Globalization.CultureInfo.InvariantCulture),
    };
}
