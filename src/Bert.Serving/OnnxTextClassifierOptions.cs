namespace Bert.Serving;

/// <summary>Options of <see cref="OnnxTextClassifier.Load(string, OnnxTextClassifierOptions?)"/>.</summary>
public sealed class OnnxTextClassifierOptions
{
    /// <summary>
    /// Threads ONNX Runtime uses inside one prediction (intra-op); 0 lets ONNX Runtime choose (one per physical core).
    /// Default 0. For many concurrent requests, fewer threads per call and more calls in parallel may serve better.
    /// </summary>
    public int IntraOpThreads { get; set; }

    /// <summary>Overrides the multi-label threshold stored in <c>serving.json</c>; null keeps it. Default null.</summary>
    public float? MultiLabelThreshold { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the property that is out of range.</summary>
    public void Validate()
    {
        if (IntraOpThreads < 0)
            throw new ArgumentException($"{nameof(IntraOpThreads)} must be 0 (automatic) or positive; it is {IntraOpThreads}.", nameof(IntraOpThreads));
        if (MultiLabelThreshold is { } t && !(t > 0 && t < 1))
            throw new ArgumentException($"{nameof(MultiLabelThreshold)} must be in (0, 1); it is {t}.", nameof(MultiLabelThreshold));
    }
}
