namespace Bert.Core.Onnx;

/// <summary>Options of <see cref="OnnxExport.ExportEmbedderFolder"/>.</summary>
public sealed class OnnxEmbedderOptions
{
    /// <summary>How token vectors become one vector. Default <see cref="EmbeddingPooling.Mean"/>.</summary>
    public EmbeddingPooling Pooling { get; set; } = EmbeddingPooling.Mean;

    /// <summary>Divide each vector by its L2 norm (cosine similarity becomes a dot product). Default true.</summary>
    public bool Normalize { get; set; } = true;

    /// <summary>
    /// Texts are truncated to this many pieces, [CLS] and [SEP] included; null uses the indexer's
    /// <c>MaxSequenceLength</c>, at most the model's positions (where <c>TextEmbedder</c> cuts). Default null.
    /// </summary>
    public int? MaxSequenceLength { get; set; }

    /// <summary>The graph's opset and other export settings; null for the defaults.</summary>
    public OnnxExportOptions? Export { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the property that is out of range for a model of <paramref name="maxPositions"/> positions.</summary>
    public void Validate(int maxPositions)
    {
        if (!Enum.IsDefined(Pooling))
            throw new ArgumentException($"{nameof(Pooling)} has the unknown value {(int)Pooling}.", nameof(Pooling));
        if (MaxSequenceLength is { } n && (n < 3 || n > maxPositions))
            throw new ArgumentException($"{nameof(MaxSequenceLength)} must be between 3 and the model's {maxPositions} positions; it is {n}.", nameof(MaxSequenceLength));
        Export?.Validate();
    }
}
