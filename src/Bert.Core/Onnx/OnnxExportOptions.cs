namespace Bert.Core.Onnx;

/// <summary>Options of <see cref="OnnxExport"/>.</summary>
public sealed class OnnxExportOptions
{
    /// <summary>The lowest opset the exporter writes.</summary>
    public const int MinOpset = 12;

    /// <summary>The highest opset the exporter writes.</summary>
    public const int MaxOpset = 18;

    /// <summary>
    /// The ONNX opset of the default domain. From 17 LayerNorm is the standard <c>LayerNormalization</c> operator;
    /// below 17 it is written as its decomposition (ReduceMean, Sub, Pow, Sqrt, Div), which ONNX Runtime fuses back
    /// into one kernel. Default <see cref="DefaultOpset"/> (see there for why).
    /// </summary>
    public int Opset { get; set; } = DefaultOpset;

    /// <summary>
    /// The default opset, 12: the one ONNX Runtime 1.31 optimises best. Its CPU graph optimiser fuses each layer's
    /// attention (Q/K/V MatMuls, Softmax and the mask) into one <c>Attention</c> kernel only when the mask is built
    /// with the opset-11 <c>Unsqueeze</c> (axes as an attribute) and opset-9 <c>Cast</c>, i.e. at opset 12 or below;
    /// from 13 it still fuses SkipLayerNormalization and BiasGelu but leaves attention as 8 separate nodes per layer
    /// (measured with <c>SessionOptions.OptimizedModelFilePath</c>, see the export tests, and bench <c>--mode onnx</c>).
    /// </summary>
    public const int DefaultOpset = 12;

    /// <summary>Throws <see cref="ArgumentException"/> when <see cref="Opset"/> is outside [<see cref="MinOpset"/>, <see cref="MaxOpset"/>].</summary>
    public void Validate()
    {
        if (Opset is < MinOpset or > MaxOpset)
            throw new ArgumentException($"{nameof(Opset)} must be between {MinOpset} and {MaxOpset}; it is {Opset}.", nameof(Opset));
    }
}
